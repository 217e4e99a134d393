#!/usr/bin/env bash
# Schemathesis against /api/openapi.json (issue 13): a temporary instance with
# the demo data (as `make run` sets it up) served on 127.0.0.1 on a free port,
# then generated requests against every documented operation. Fails on any
# 500 and on any answer whose status, media type or body breaks the document.
#
#   .ci/api-check.sh            set up a demo instance and serve it (`make api-check`)
#   .ci/api-check.sh BASE_URL   check a server already running the demo: CI
#                               passes the one .ci/smoke-make-run.sh started
#                               (`make run` in a fresh clone), saving the setup
set -euo pipefail
cd "$(dirname "$0")/.."
unset DATABASE_URL REDIS_URL PORTAL_SECRET_KEY PORTAL_INDEX_KEY PORTAL_DATA_KEYS
export PORTAL_ENV=development

MAX_EXAMPLES=${API_CHECK_MAX_EXAMPLES:-30}   # generated cases per operation
MAX_TIME=${API_CHECK_MAX_TIME:-45}           # seconds for schemathesis, at most (CI has 30 min in all)
# Paths to leave out (a regex; none by default: every operation is checked).
EXCLUDE=${API_CHECK_EXCLUDE-}

run_schemathesis() {
    local base=$1
    local args=(
        run "$base/api/openapi.json"
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
        --max-examples "$MAX_EXAMPLES" --max-time "$MAX_TIME"
        --workers 2 --seed "${API_CHECK_SEED:-13}" --request-timeout 20
        --suppress-health-check too_slow
    )
    [[ -n $EXCLUDE ]] && args+=(--exclude-path-regex "$EXCLUDE")
    .venv/bin/schemathesis "${args[@]}"
}

if [[ $# -gt 0 ]]; then
    run_schemathesis "${1%/}"
    exit
fi

tmp=$(mktemp -d)
export PORTAL_INSTANCE_PATH=$tmp/instance
server_pid=""
stop_server() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM -- "-$server_pid" 2>/dev/null || true   # setsid: gunicorn and its workers
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
started=$SECONDS
echo "demo instance in $PORTAL_INSTANCE_PATH"
{
    flask db upgrade
    flask regions load
    flask templates seed
    flask staff demo
    flask dtsen demo
    flask tickets demo
    flask tickets performance-refresh
    flask stats refresh
} >"$tmp/setup.log" 2>&1 || { tail -n 40 "$tmp/setup.log"; exit 1; }
echo "demo data ready after $((SECONDS - started))s"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
PORTAL_PUBLIC_BASE_URL=$base setsid .venv/bin/gunicorn --bind "127.0.0.1:$port" \
    --worker-class gthread --workers 1 --threads 4 --no-control-socket app:app \
    >"$tmp/server.log" 2>&1 </dev/null &
server_pid=$!
for _ in $(seq 60); do
    curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { tail -n 40 "$tmp/server.log"; exit 1; }
    sleep 0.5
done
echo "serving on $base"

status=0
run_schemathesis "$base" || status=$?
if ((status != 0)); then
    echo "---- last 40 lines of the server's log ----"
    tail -n 40 "$tmp/server.log"
fi
echo "api-check finished in $((SECONDS - started))s (schemathesis exit $status)"
exit "$status"
