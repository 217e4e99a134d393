#!/usr/bin/env bash
# Debian packages the portal needs outside the virtualenv, installed by `make
# setup` / `make test`: usage `scripts/system-packages.sh PACKAGE...`.
#
# Cheap when everything is there (one dpkg-query, no network). When something is
# missing it runs `apt-get update` once and installs it, quietly, if it runs as
# root with apt-get; otherwise it stops and prints the exact command to run.
# SKIP_SYSTEM_PACKAGES=1 skips the check (a machine you manage yourself).
set -euo pipefail

(($#)) || exit 0
[[ ${SKIP_SYSTEM_PACKAGES:-} == 1 ]] && exit 0

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "note: not a Debian-based system; install these yourself (or their equivalents): $*" >&2
    exit 0
fi

missing=()
for package in "$@"; do
    # "installed" only: a removed package keeps a dpkg entry (config-files).
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    [[ $status == installed ]] || missing+=("$package")
done
((${#missing[@]})) || exit 0

command="apt-get update && apt-get install -y ${missing[*]}"
if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    {
        echo
        echo "Missing Debian packages: ${missing[*]}"
        echo "Install them, then run make again:"
        echo
        echo "    sudo sh -c '$command'"
        echo
        echo "(or SKIP_SYSTEM_PACKAGES=1 make … to go on without them)"
    } >&2
    exit 1
fi

echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
