"""Load shedding at three times capacity (issue 14 "Measure").

Starts gunicorn with gunicorn.conf.py (2 workers x 4 threads, the shedding
worker) on a fresh SQLite instance (or DATABASE_URL), pinned to core 1, and
drives it with wrk pinned to core 0 (tests/serving/load.lua: the home page,
the lookup form, /stats and the village search, whose 60-a-minute limit
answers 429s). Per run:

1. capacity: a closed loop of 8 connections (one per thread), 5 s;
2. 3x: 96 connections, each on a fixed schedule, together offering three
   times that capacity, 10 s: the share of 503s, the p99 of the answers that
   were served (200), and the served rate against capacity;
3. the same 3x load against the shedding worker with a queue of 1 (a
   served request waits behind at most one other per thread), and against
   stock gthread (no shedding, the queue unbounded), same server otherwise:
   the reference in the same run.

Median of RUNS runs (default 5), each run against fresh servers.

    nice .venv/bin/python bench/shed_bench.py [RUNS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.serving.gunicorn_server import Gunicorn  # noqa: E402
from tests.serving.overload import wrk  # noqa: E402

WORKERS, THREADS = 2, 4
OVERLOAD, CONNECTIONS = 3, 96
SERVER_CORE, LOAD_CORE = "1", "0"


def prepare(instance: Path) -> dict[str, str]:
    env = {"PORTAL_INSTANCE_PATH": str(instance), "PORTAL_ENV": "development"}
    os.environ.update(env)
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    for command in (["db", "upgrade"], ["regions", "load"]):
        subprocess.run([*flask, *command], cwd=ROOT, check=True, capture_output=True)
    return env


def load(url: str, *, connections: int, seconds: int, pace_ms: int) -> dict:
    os.sched_setaffinity(0, {int(LOAD_CORE)})  # wrk inherits the core
    try:
        return wrk(url, connections=connections, seconds=seconds, pace_ms=pace_ms)
    finally:
        os.sched_setaffinity(0, range(os.cpu_count() or 1))


VARIANTS = (
    ("shedding, queue 4", (), {}),
    ("shedding, queue 1", (), {"PORTAL_SHED_QUEUE": "1"}),
    ("stock gthread", ("--worker-class", "gthread"), {}),
)


def one_run(tmp: Path, env: dict[str, str], n: int) -> dict:
    figures = {}
    for i, (name, args, extra) in enumerate(VARIANTS):
        server = Gunicorn(
            tmp / f"gunicorn-{n}-{i}.log",
            workers=WORKERS,
            threads=THREADS,
            args=args,
            prefix=("taskset", "-c", SERVER_CORE),
            **env,
            **extra,
        )
        try:
            if i == 0:
                capacity = load(server.url, connections=WORKERS * THREADS, seconds=5, pace_ms=0)
                rate = capacity["rate"]
                figures["capacity"] = rate
            else:  # the same warm-up (stock gthread builds the village index now)
                load(server.url, connections=WORKERS * THREADS, seconds=5, pace_ms=0)
            pace_ms = round(CONNECTIONS * 1000 / (OVERLOAD * rate))
            over = load(server.url, connections=CONNECTIONS, seconds=10, pace_ms=pace_ms)
        finally:
            server.stop()
        answers = sum(over["statuses"].values())
        seconds = over["duration_us"] / 1e6
        figures[name] = {
            "offered": over["rate"] / rate,
            "shed": over["statuses"].get("503", 0) / max(1, answers),
            "served": (answers - over["statuses"].get("503", 0)) / seconds / rate,
            "p99_ms": over["served_p99_us"] / 1000,
            "timeouts": over["errors"]["timeout"],
            "statuses": over["statuses"],
        }
        print(f"run {n} {name}: {figures[name]}", flush=True)
    return figures


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    tmp = Path(tempfile.mkdtemp(prefix="shed-bench-"))
    env = prepare(tmp / "instance")
    results = [one_run(tmp, env, n) for n in range(runs)]
    med = statistics.median
    print(f"capacity (closed loop, 8 connections): {med(r['capacity'] for r in results):.0f} req/s")
    for name, _, _ in VARIANTS:
        rows = [r[name] for r in results]
        print(
            f"{name:>17} at {OVERLOAD}x: offered {med(x['offered'] for x in rows):.2f}x capacity, "
            f"503s {med(x['shed'] for x in rows):.0%}, "
            f"served {med(x['served'] for x in rows):.2f}x capacity, "
            f"p99 of served {med(x['p99_ms'] for x in rows):.0f} ms, "
            f"wrk timeouts (10 s) {med(x['timeouts'] for x in rows):.0f} "
            f"(median of {runs})"
        )


if __name__ == "__main__":
    main()
