"""``make setup``'s Debian packages (scripts/system-packages.sh) and the rule
that in CI a missing browser or service fails instead of skipping (tests/services.py).

The script runs against stub ``dpkg-query``, ``id`` and ``apt-get`` commands
that record what they are asked, so no package is ever installed here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from portal.config import ROOT
from tests.services import in_ci, missing

SCRIPT = ROOT / "scripts" / "system-packages.sh"
STUBS = {
    # Prints "installed" for the packages named in $INSTALLED, nothing otherwise.
    "dpkg-query": 'for p in $INSTALLED; do [[ $p == "${!#}" ]] && printf installed; done; exit 0',
    "id": 'echo "$FAKE_UID"',
    "apt-get": 'echo "apt-get $*" >> "$CALLS"',
}


def run_script(tmp_path: Path, *packages: str, installed: str = "", uid: int = 0):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, body in STUBS.items():
        stub = bin_dir / name
        stub.write_text(f"#!/bin/bash\n{body}\n")
        stub.chmod(0o755)
    calls = tmp_path / "calls.txt"
    calls.touch()
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "INSTALLED": installed,
        "FAKE_UID": str(uid),
        "CALLS": str(calls),
    }
    done = subprocess.run(
        ["bash", str(SCRIPT), *packages], env=env, capture_output=True, text=True, timeout=30
    )
    return done, calls.read_text().splitlines()


def test_nothing_is_installed_when_every_package_is_there(tmp_path):
    done, calls = run_script(tmp_path, "chromium", "libfoo", installed="chromium libfoo")
    assert (done.returncode, calls, done.stdout, done.stderr) == (0, [], "", "")


def test_root_updates_once_and_installs_only_the_missing_ones(tmp_path):
    done, calls = run_script(tmp_path, "chromium", "libfoo", "libbar", installed="libfoo")
    assert done.returncode == 0, done.stderr
    assert calls == ["apt-get update -qq", "apt-get install -y -qq chromium libbar"]


def test_without_root_it_stops_with_the_command_to_run(tmp_path):
    done, calls = run_script(tmp_path, "chromium", "libfoo", installed="libfoo", uid=1000)
    assert done.returncode == 1
    assert calls == []
    assert "sudo sh -c 'apt-get update && apt-get install -y chromium'" in done.stderr


def test_the_makefile_installs_what_the_tests_need():
    """HarfBuzz subsetting for every make target, Chromium and wrk (the
    overload test) at least for `make test`."""
    dry_run = subprocess.run(
        ["make", "-n", "-W", "requirements.txt", "test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    installs = [line.split()[1:] for line in dry_run.splitlines() if "system-packages.sh" in line]
    packages = sorted(p for line in installs for p in line)
    assert packages == ["chromium", "libharfbuzz-subset0", "postgresql-client", "wrk"]


def test_make_test_installs_axe_core_from_the_lock_file():
    """axe-core for the browser tests' accessibility checks: `npm ci` (exactly
    the lock file, no package scripts) when the lock file is newer."""
    dry_run = subprocess.run(
        ["make", "-n", "-W", "package-lock.json", "test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    assert "npm ci --ignore-scripts --no-audit --no-fund" in dry_run.splitlines()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), ("TRUE", True), ("", False), ("false", False), ("0", False)],
)
def test_ci_is_read_as_a_boolean(monkeypatch, value, expected):
    monkeypatch.setenv("CI", value)
    assert in_ci() is expected


def test_a_missing_service_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Chromium is required in CI"):
        missing("Chromium")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        missing("Chromium")


def test_ci_run_relies_on_make_for_system_packages_and_starts_services_first():
    """.ci/run has no package list of its own, and PostgreSQL and Redis answer
    before the first test runs (the PostgreSQL cases of test_migrations run on
    the SQLite leg too)."""
    script = (ROOT / ".ci" / "run").read_text()
    assert "apt-get" not in script and "chromium" not in script
    first_test = script.index("\nmake test ")
    assert script.index("pg_isready") < first_test
    assert script.index("redis-cli") < first_test
    assert os.access(SCRIPT, os.X_OK)
