"""Household lookup benchmark (issue 3, PERFORMANCE.md rows "lookup POST").

Needs a registry of 1M households: imported once into
``bench/out/lookup-<backend>/`` (SQLite) or database ``portal_lookup``
(PostgreSQL) from the snapshot ``import_bench.py`` generates, then reused.

(a) in process: a full lookup POST (CSRF, limits, one indexed query,
    decrypt and compare, template) against a bare Flask route, through the
    same test client, interleaved; one process, so in-memory limits; each
    run's medians, then the median of the runs;
(b) over HTTP: gunicorn gthread (2 workers x 4 threads) pinned to core 1,
    rate limits in Redis as two processes require (RL1), wrk (32
    connections) pinned to core 0: lookups/s against the same server's bare
    route (``/healthz``), p99, errors; the median of 5 runs;
(c) overload: wrk paced at twice the measured lookup capacity; every status
    code counted; gunicorn's memory before and after.

    .venv/bin/python bench/lookup_bench.py --backend sqlite
    .venv/bin/python bench/lookup_bench.py --backend postgresql
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
#: BENCH_PG_URL: another database (an engineer's own, on a shared machine).
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/portal_lookup")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
UNLIMITED = {
    "PORTAL_LOOKUP_LIMIT_PER_IP": "1000000000 per hour",
    "PORTAL_LOOKUP_LIMIT_PER_NIK": "1000000000 per day",
}
sys.path.insert(0, str(ROOT))


def backend_env(backend: str) -> dict[str, str]:
    inst = OUT / f"lookup-{backend}"
    inst.mkdir(parents=True, exist_ok=True)
    env = {"PORTAL_INSTANCE_PATH": str(inst), "PORTAL_ENV": "development", **UNLIMITED}
    if backend == "postgresql":
        env["DATABASE_URL"] = PG_URL
    return env


def ensure_registry(backend: str, csv_path: Path, households: int) -> None:
    """Import the snapshot once (idempotent: a re-run skips unchanged households)."""
    env = {**os.environ, **backend_env(backend)}
    if backend == "postgresql":
        subprocess.run(
            ["psql", "-q", PG_ADMIN, "-c", f"CREATE DATABASE {PG_URL.rsplit('/', 1)[1]}"],
            capture_output=True,
            check=False,
        )
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, cwd=ROOT, capture_output=True)
    subprocess.run([*flask, "regions", "load"], env=env, check=True, cwd=ROOT)
    count = subprocess.run(
        [
            sys.executable,
            "-c",
            "from portal import create_app; from portal.extensions import db; "
            "from sqlalchemy import text; app=create_app(); ctx=app.app_context(); ctx.push(); "
            "print(db.session.execute(text('select count(*) from households')).scalar())",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if int(count) < households:
        subprocess.run(
            [*flask, "dtsen", "import", str(csv_path), "--quiet"], env=env, check=True, cwd=ROOT
        )


def sample_people(csv_path: Path, n: int) -> list[tuple[str, str]]:
    """Every k-th person of the snapshot: (NIK, full name)."""
    size = csv_path.stat().st_size
    step = max(1, size // 230 // n)
    people = []
    with open(csv_path, newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for i, row in enumerate(reader):
            if i % step == 0:
                people.append((row[1], row[2]))
                if len(people) >= n:
                    break
    return people


# -- (a) in process -------------------------------------------------------------
def make_app(backend: str):
    os.environ.update(backend_env(backend))
    from portal import create_app

    app = create_app()
    app.add_url_rule("/_bare", "bare", lambda: "ok")
    return app


def in_process(app, people: list[tuple[str, str]], rounds: int = 3000) -> dict:
    client = app.test_client()
    page = client.get("/lookup").data
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
    # Every lookup from the session the form page started, as in (b): a
    # resident's first lookup (a second one also ends the first one's proof).
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    fresh = client.get_cookie(cookie_name).value
    bare, found, mismatch = [], [], []
    cpu_bare, cpu_found = [], []
    clock, cpu = time.perf_counter, time.thread_time  # this thread's CPU only
    for i in range(rounds):
        nik, name = people[i % len(people)]
        t0, c0 = clock(), cpu()
        client.get("/_bare")
        t1, c1 = clock(), cpu()
        # a lookup is the POST and the result page its redirect leads to
        data = {"csrf_token": token, "nik": nik, "name": name}
        client.set_cookie(cookie_name, fresh)
        r = client.post("/lookup", data=data, follow_redirects=True)
        t2, c2 = clock(), cpu()
        data["name"] = name + "x"
        client.set_cookie(cookie_name, fresh)
        client.post("/lookup", data=data, follow_redirects=True)
        t3 = clock()
        assert r.status_code == 200 and b"*" in r.data, r.status_code
        if i >= min(200, rounds // 10):  # warm-up excluded
            bare.append(t1 - t0)
            found.append(t2 - t1)
            mismatch.append(t3 - t2)
            cpu_bare.append(c1 - c0)
            cpu_found.append(c2 - c1)
    med = statistics.median
    return {
        "bare_us": med(bare) * 1e6,
        "lookup_us": med(found) * 1e6,
        "mismatch_us": med(mismatch) * 1e6,
        "ratio": med(found) / med(bare),
        # On a shared machine a long request is preempted more often than a
        # short one: its wall time grows with the load, its CPU time does not.
        "cpu_ratio": med(cpu_found) / med(cpu_bare),
        "cpu_lookup_us": med(cpu_found) * 1e6,
    }


# -- (b), (c) over HTTP -----------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(backend: str, port: int) -> subprocess.Popen:
    # Two worker processes: the rate limits must live in Redis (SECURITY.md RL1),
    # as in production; a prefix of its own keeps the run's counters apart.
    env = {
        **os.environ,
        **backend_env(backend),
        "REDIS_URL": REDIS_URL,
        "PORTAL_RATELIMIT_PREFIX": f"bench-{os.getpid()}-{port}",
    }
    proc = subprocess.Popen(
        [
            "taskset", "-c", "1",
            str(ROOT / ".venv/bin/gunicorn"), "app:app",
            "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
            "--workers", "2", "--threads", "4", "--no-control-socket",
            "--log-level", "warning",
        ],
        env=env,
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def session_for(port: int) -> tuple[str, str]:
    resp = urllib.request.urlopen(f"http://127.0.0.1:{port}/lookup")
    cookie = resp.headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', resp.read().decode())
    return cookie, token.group(1)


LUA = """
local people = %(people)s
local i = 0
counts = {}
local threads = {}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "%(cookie)s"
function setup(thread) table.insert(threads, thread) end
function init(args) counts = {} end
function request()
  i = i + 1
  local p = people[(i %% #people) + 1]
  return wrk.format(nil, nil, nil, "csrf_token=%(token)s&nik=" .. p[1] .. "&name=" .. p[2])
end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
%(delay)s
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, '"' .. k .. '":' .. v) end
  io.write("STATUS {" .. table.concat(parts, ",") .. "}\\n")
end
"""


def lua_script(people, cookie: str, token: str, delay_ms: float | None) -> Path:
    entries = ",".join(f'{{"{n}","{urllib.parse.quote_plus(name)}"}}' for n, name in people[:2000])
    delay = f"function delay() return {delay_ms:.2f} end" if delay_ms else ""
    path = OUT / "lookup.lua"
    path.write_text(
        LUA % {"people": "{" + entries + "}", "cookie": cookie, "token": token, "delay": delay}
    )
    return path


def wrk(url: str, seconds: int, connections: int, script: Path | None = None) -> dict:
    cmd = ["taskset", "-c", "0", "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    cmd += ["--timeout", "5s"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)]
    errors = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    status = re.search(r"STATUS (\{.*\})", out)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * scale,
        "socket_errors": errors.group(1) if errors else "none",
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "status": json.loads(status.group(1)) if status else {},
    }


def rss_mib(proc: subprocess.Popen) -> float:
    """The workers' private (anonymous) resident memory: the heap, what a leak
    grows. SQLite's memory-mapped database pages are shared file cache and
    would make plain RSS grow with every page a lookup touches."""
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True, text=True
    ).stdout
    total_kib = 0
    for pid in out.split():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total_kib += int(re.search(r"RssAnon:\s+(\d+)", status).group(1))
    return total_kib / 1024


def over_http(backend: str, people, runs: int, seconds: int) -> None:
    port = free_port()
    server = start_server(backend, port)
    try:
        cookie, token = session_for(port)
        script = lua_script(people, cookie, token, None)
        base = f"http://127.0.0.1:{port}"
        bare_runs, look_runs = [], []
        for _ in range(runs):
            bare_runs.append(wrk(base + "/healthz", seconds, 32))
            look_runs.append(wrk(base + "/lookup", seconds, 32, script))
        bare_rps = statistics.median(r["rps"] for r in bare_runs)
        look = sorted(look_runs, key=lambda r: r["rps"])[len(look_runs) // 2]
        print(
            f"[{backend}] (b) HTTP, median of {runs}: bare {bare_rps:,.0f} req/s | lookup "
            f"{look['rps']:,.0f} req/s = {look['rps'] / bare_rps:.2f}x bare | lookup p99 "
            f"{look['p99_ms']:.1f} ms | status {look['status']} | socket errors "
            f"{look['socket_errors']}",
            flush=True,
        )
        # (c) paced at twice the measured capacity
        connections = 64
        target = 2 * look["rps"]
        delay = connections * 1000 / target
        paced = lua_script(people, cookie, token, delay)
        before = rss_mib(server)
        over = wrk(base + "/lookup", 20, connections, paced)
        after = rss_mib(server)
        print(
            f"[{backend}] (c) overload, paced at {target:,.0f} req/s (2x): served "
            f"{over['rps']:,.0f} req/s | status {over['status']} | socket errors "
            f"{over['socket_errors']} | p99 {over['p99_ms']:.0f} ms | workers' anon RSS "
            f"{before:.0f} -> {after:.0f} MiB",
            flush=True,
        )
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--skip-http", action="store_true")
    ap.add_argument("--skip-in-process", action="store_true")
    ap.add_argument("--rounds", type=int, default=3000, help="(a): lookups per run")
    args = ap.parse_args()
    csv_path = OUT / f"snapshot-{args.households}-7.csv"
    if not csv_path.exists():
        sys.exit(f"{csv_path} missing: run bench/import_bench.py --households {args.households}")
    ensure_registry(args.backend, csv_path, args.households)
    people = sample_people(csv_path, 2000)
    app = make_app(args.backend)
    runs = [
        in_process(app, people, args.rounds)
        for _ in range(0 if args.skip_in_process else args.runs)
    ]
    for res in runs:
        print(
            f"[{args.backend}] (a) in process: bare route {res['bare_us']:.0f} us | lookup (match) "
            f"{res['lookup_us']:.0f} us = {res['ratio']:.2f}x bare | lookup (no match) "
            f"{res['mismatch_us']:.0f} us | CPU: lookup {res['cpu_lookup_us']:.0f} us = "
            f"{res['cpu_ratio']:.2f}x bare",
            flush=True,
        )
    med = statistics.median
    if runs:
        print(
            f"[{args.backend}] (a) median of {len(runs)}: "
            f"bare {med(r['bare_us'] for r in runs):.0f} us "
            f"| lookup {med(r['lookup_us'] for r in runs):.0f} us "
            f"| ratio {med(r['ratio'] for r in runs):.2f}x "
            f"(runs {min(r['ratio'] for r in runs):.2f}-{max(r['ratio'] for r in runs):.2f}x) "
            f"| CPU ratio {med(r['cpu_ratio'] for r in runs):.2f}x",
            flush=True,
        )
    if not args.skip_http:
        over_http(args.backend, people, args.runs, args.seconds)


if __name__ == "__main__":
    main()
