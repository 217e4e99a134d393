#!/usr/bin/env bash
# Smoke test of `make run` as a newcomer meets it: clone the repository into a
# temporary directory (no .venv, no instance/), run `make run` there, and check
# the pages answer. Then run it a second time: it must be quick and create nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
# A newcomer's shell: the defaults (SQLite and keys in the clone's instance/).
unset DATABASE_URL REDIS_URL PORTAL_ENV PORTAL_INSTANCE_PATH \
    PORTAL_SECRET_KEY PORTAL_INDEX_KEY PORTAL_DATA_KEYS

FIRST_START_LIMIT=${FIRST_START_LIMIT:-300}   # seconds: venv, regions, demo data
SECOND_START_LIMIT=${SECOND_START_LIMIT:-90}

repo=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
server_pid=""
log=""

stop_server() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        # setsid made the server the leader of its own process group: end the
        # whole group (make, gunicorn and its workers).
        kill -TERM -- "-$server_pid" 2>/dev/null || true
        for _ in $(seq 20); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL -- "-$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}

cleanup() {
    stop_server
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL: $*" >&2
    if [[ -n $log && -f $log ]]; then
        echo "---- last 80 lines of $(basename "$log") ----" >&2
        tail -n 80 "$log" >&2
    fi
    exit 1
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server LOG LIMIT: run `make run` in the clone and wait until /healthz answers.
start_server() {
    log=$1
    local limit=$2 started=$SECONDS
    port=$(free_port)
    (cd "$tmp/portal" && exec setsid make run PORT="$port") >"$log" 2>&1 </dev/null &
    server_pid=$!
    until curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; do
        kill -0 "$server_pid" 2>/dev/null || fail "make run exited before serving"
        ((SECONDS - started < limit)) || fail "no answer on /healthz within ${limit}s"
        sleep 2
    done
    echo "serving on port $port after $((SECONDS - started))s"
}

check_pages() {
    local base="http://127.0.0.1:$port" home stats
    home=$(curl -fsS "$base/") || fail "GET / did not return 200"
    grep -q 'lang="id"' <<<"$home" || fail 'GET / is not marked lang="id"'
    # Common Indonesian words: the page is translated, not just labelled.
    grep -Eqw 'dan|yang|Anda' <<<"$home" || fail "GET / has no Indonesian text"
    curl -fsS -o /dev/null "$base/readyz" || fail "GET /readyz did not return 200"
    # Read whole before grep: `curl | grep -q` fails under pipefail when grep
    # stops at the first match while curl is still writing (curl's error 23).
    stats=$(curl -fsS "$base/stats") || fail "GET /stats did not return 200"
    grep -q 'stat-figures' <<<"$stats" || fail "GET /stats does not show the figures"
    echo "/, /healthz and /readyz answer; the home page is in Indonesian"
}

echo "cloning $repo"
git clone -q "$repo" "$tmp/portal"

echo "first make run (fresh clone)"
start_server "$tmp/first-run.log" "$FIRST_START_LIMIT"
check_pages
# Issue 13: schemathesis against this demo's /api/openapi.json (no second setup).
.ci/api-check.sh "http://127.0.0.1:$port" || fail "schemathesis found answers that break /api/openapi.json"
grep -q 'admin.demo@example.org' "$log" || fail "make run did not print the demo staff credentials"
# The household README.md shows, found by /lookup (tests/web/test_demo_household.py).
grep -Eq 'found: +NIK 3201016510750001 +name Yati' "$log" || fail "make run did not print the demo household"
[[ ! -e $tmp/portal/instance/demo-snapshot.csv ]] || fail "the demo snapshot was left in instance/"
grep -Eq 'tickets demo: [1-9][0-9]* created' "$log" || fail "make run did not create the demo tickets"
grep -Eq 'performance figures: [1-9][0-9]* rows' "$log" || fail "make run did not refresh the performance figures"
grep -Eq 'stats figures: [1-9][0-9]* scopes' "$log" || fail "make run did not refresh the /stats figures"
for file in "$tmp"/portal/instance/portal.db*; do
    [[ $(stat -c %a "$file") == 600 ]] || fail "$(basename "$file") is not mode 0600"
done
stop_server

echo "second make run (everything already in place)"
start_server "$tmp/second-run.log" "$SECOND_START_LIMIT"
check_pages
grep -q 'staff demo: 0 created' "$log" || fail "second make run created staff accounts again"
grep -q 'admin.demo@example.org' "$log" || fail "second make run did not print the credentials"
grep -q 'tickets demo: 0 created' "$log" || fail "second make run created demo tickets again"
stop_server
(cd "$tmp/portal" && .venv/bin/flask --app app audit verify) || fail "the audit log of the demo does not verify"

# The cron jobs of issue 11 on the demo: the worker finds nothing to send (demo
# messages are never announced), and closing expired windows is idempotent.
flask_in_clone() { (cd "$tmp/portal" && .venv/bin/flask --app app "$@"); }
flask_in_clone outbox run --once || fail "flask outbox run --once failed"
# (outputs captured first: grep -q stopping early would break the pipe under pipefail)
status=$(flask_in_clone outbox status) || fail "flask outbox status failed"
grep -q 'pending=0 retry=0' <<<"$status" || fail "demo messages are waiting to be sent: $status"
flask_in_clone tickets close-expired || fail "flask tickets close-expired failed"
again=$(flask_in_clone tickets close-expired) || fail "the second close-expired failed"
grep -q '^closed 0 ' <<<"$again" || fail "a second close-expired closed more: $again"
# Escalation (issue 12 §4) on the demo's overdue tickets, after the outbox
# check above (its staff emails are sent by the worker): a second run the same
# day changes nothing.
flask_in_clone tickets escalate || fail "flask tickets escalate failed"
again=$(flask_in_clone tickets escalate) || fail "the second escalate failed"
grep -q '^escalated 0 ticket(s) to the province and 0 to the national office .* 0 no longer overdue back to level 0; 0 notification(s) written$' <<<"$again" \
    || fail "a second escalate changed more: $again"

echo "smoke test passed"
