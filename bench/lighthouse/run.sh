#!/usr/bin/env bash
# `make lighthouse`: Lighthouse (mobile, simulated slow 4G) on six public pages
# of a temporary demo instance (bench/lighthouse/flow.mjs says which and how).
# The instance is set up as .ci/api-check.sh does (SQLite and keys in a temp
# folder, regions and the demo households; no staff or demo tickets: the flow
# sends its own proposal) and served as in production: gunicorn with
# gunicorn.conf.py (threaded shedding worker), the app's own compression and
# content-hashed static files. One worker, as its rate limits are in memory.
#
# Reports go to bench/out/lighthouse/ (gitignored). Exits non-zero when a
# page's accessibility is under 100 or best practices under 95.
#   RUNS=3 make lighthouse     the median of three walks (about 4 minutes)
#   bench/lighthouse/run.sh BASE_URL   a server already serving the demo
#                              households (e.g. the one .ci/smoke-make-run.sh starts)
set -euo pipefail
cd "$(dirname "$0")/../.."
unset DATABASE_URL REDIS_URL PORTAL_SECRET_KEY PORTAL_INDEX_KEY PORTAL_DATA_KEYS
export PORTAL_ENV=development
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
OUT=${LIGHTHOUSE_OUT:-bench/out/lighthouse}
# The demo household README.md shows (found by /lookup).
NIK=3201016510750001
NAME=Yati

started=$SECONDS
# Its own node_modules, apart from the test suite's axe-core (package.json at the top).
if [[ ! bench/lighthouse/node_modules/.package-lock.json -nt bench/lighthouse/package-lock.json ]]; then
    (cd bench/lighthouse && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

if [[ $# -gt 0 ]]; then
    node bench/lighthouse/flow.mjs "${1%/}" "$OUT" "$NIK" "$NAME"
    exit
fi

tmp=$(mktemp -d)
export PORTAL_INSTANCE_PATH=$tmp/instance
server_pid=""
stop_server() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM -- "-$server_pid" 2>/dev/null || true   # setsid: gunicorn and its worker
        for _ in $(seq 20); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL -- "-$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
cleanup() { stop_server; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

flask() { .venv/bin/flask --app app "$@"; }
{
    flask db upgrade
    flask regions load
    flask dtsen demo
} >"$tmp/setup.log" 2>&1 || { tail -n 40 "$tmp/setup.log"; exit 1; }
echo "demo instance ready after $((SECONDS - started))s"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
PORTAL_PUBLIC_BASE_URL=$base WEB_CONCURRENCY=1 setsid .venv/bin/gunicorn --config gunicorn.conf.py \
    --bind "127.0.0.1:$port" app:app >"$tmp/server.log" 2>&1 </dev/null &
server_pid=$!
for _ in $(seq 60); do
    curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { tail -n 40 "$tmp/server.log"; exit 1; }
    sleep 0.5
done
echo "serving on $base"

status=0
node bench/lighthouse/flow.mjs "$base" "$OUT" "$NIK" "$NAME" || status=$?
if ((status != 0)); then
    echo "---- last 20 lines of the server's log ----"
    tail -n 20 "$tmp/server.log"
fi
echo "lighthouse finished in $((SECONDS - started))s (exit $status)"
exit "$status"
