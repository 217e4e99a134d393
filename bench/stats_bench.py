"""Public statistics benchmark (issue 13 "Measure"): GET /stats and
/stats.json with 1M tickets, p95 server time against a bare route in the
same run (target ≤ 50 ms p95), and the time of ``flask stats refresh``.

Data: ``bench/office_data.py`` (1M tickets over 514 offices), then, once,
the triage and decision events and ratings that ``performance_bench.py``
adds (its ``add_events``), and migration 0015 if the data predates it.

1. The refresh (``stats.refresh.refresh`` in one transaction, as the
   command does): ``--refreshes`` times, median and each time, each after
   the performance refresh of issue 12 as the reference of the same run.
2. The pages, in process through Flask's test client (no login: the pages
   are public), interleaved with ``/_bare`` (a bare Flask route returning a
   short string) so the machine's noise falls on all alike: ``/stats`` (the
   nation and its 38 provinces), ``/stats?scope=prov-32`` (27 offices),
   ``/stats?scope=dinsos-32.01``, ``/stats.json``, ``/stats.csv``. p50/p95
   per page (median of ``--runs`` runs) and the ratio of its p50 and p95 to
   the bare route's; also each page's CPU time (``time.process_time``, p50),
   which a loaded machine inflates far less than the wall time. The pages
   as served reuse a scope's figures for ``STATS_CACHE_SECONDS``; the
   "uncached" rows read the tables at every request.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_stats \\
        .venv/bin/python bench/office_data.py --instance /tmp/stats-bench-pg --tickets 1000000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_stats \\
        taskset -c 1 .venv/bin/python bench/stats_bench.py --instance /tmp/stats-bench-pg
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from performance_bench import add_events, make_app, p95

TARGET_MS = 50
PAGES = {
    "/stats (nation)": "/stats",
    "/stats?scope=prov-32": "/stats?scope=prov-32",
    "/stats?scope=dinsos-32.01": "/stats?scope=dinsos-32.01",
    "/stats.json (nation)": "/stats.json",
    "/stats.csv (nation)": "/stats.csv",
}
TARGETED = ("/stats (nation)", "/stats.json (nation)")


def upgrade(app) -> None:
    from flask_migrate import upgrade as migrate_upgrade

    with app.app_context():
        migrate_upgrade()


def time_refresh(app, times: int) -> tuple[list[float], list[float]]:
    """The stats refresh, each time after the performance refresh (issue 12,
    the reference: the stats refresh runs its ``compute`` plus its own
    grouped queries)."""
    from portal.db import transaction
    from portal.stats.refresh import refresh
    from portal.tickets import performance

    took, reference = [], []
    with app.app_context():
        for _ in range(times):
            t0 = time.perf_counter()
            with transaction():
                performance.refresh(dt.datetime.now(dt.UTC))
            reference.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with transaction():
                scopes = refresh(dt.datetime.now(dt.UTC))
            took.append(time.perf_counter() - t0)
            print(
                f"  stats refresh: {scopes} scopes in {took[-1]:.2f} s"
                f" (performance refresh {reference[-1]:.2f} s)"
            )
    return took, reference


def measure(app, client, rounds: int, warmup: int) -> dict[str, list[float]]:
    """Each page as served (figures cached per process for
    ``STATS_CACHE_SECONDS``), and /stats and /stats.json read from the
    tables at every request (cache off): the cost of a cache miss."""
    urls = {"bare": "/_bare", **PAGES}
    urls |= {f"{name} uncached": PAGES[name] for name in TARGETED}
    ttl = app.config["STATS_CACHE_SECONDS"]
    times: dict[str, list[float]] = {name: [] for name in urls}
    times |= {f"cpu {name}": [] for name in urls}
    for i in range(rounds + warmup):
        for name, url in urls.items():
            app.config["STATS_CACHE_SECONDS"] = 0 if name.endswith("uncached") else ttl
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(url)
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")
            if i >= warmup:
                times[name].append(elapsed * 1000)
                times[f"cpu {name}"].append(cpu * 1000)
    return times


def report(runs: list[dict[str, list[float]]]) -> None:
    med = statistics.median
    head = f"{'page':<30} {'p50 ms':>8} {'p95 ms':>8} {'p50/bare':>9} {'p95/bare':>9}"
    print(f"{head} {'CPU p50':>8} {'CPU/bare':>8}  target")
    for name in (n for n in runs[0] if not n.startswith("cpu ")):
        cpu = med(med(r[f"cpu {name}"]) for r in runs)
        cpu_ratio = med(med(r[f"cpu {name}"]) / med(r["cpu bare"]) for r in runs)
        p50 = med(med(r[name]) for r in runs)
        p95s = med(p95(r[name]) for r in runs)
        ratio = med(med(r[name]) / med(r["bare"]) for r in runs)
        ratio95 = med(p95(r[name]) / p95(r["bare"]) for r in runs)
        target = ""
        if name in TARGETED or name.endswith("uncached"):
            target = f"p95 <= {TARGET_MS} ms: {'met' if p95s <= TARGET_MS else 'MISSED'}"
        line = f"{name:<30} {p50:>8.2f} {p95s:>8.2f} {ratio:>8.1f}x {ratio95:>8.1f}x"
        print(f"{line} {cpu:>8.2f} {cpu_ratio:>7.1f}x  {target}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instance", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=100, help="measured rounds per run")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--refreshes", type=int, default=3)
    args = ap.parse_args()
    summary = json.loads((args.instance / "office-bench.json").read_text())
    app = make_app(args.instance)
    upgrade(app)
    print(f"[{summary['backend']}] {summary['tickets']:,} tickets")
    print(add_events(app))
    if args.refreshes:
        took, reference = time_refresh(app, args.refreshes)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        median, ref = statistics.median(took), statistics.median(reference)
        print(
            f"stats refresh: median {median:.2f} s of {len(took)} ({median / ref:.1f}x the"
            f" performance refresh's {ref:.2f} s); peak RSS {rss:.0f} MiB"
        )
    client = app.test_client()
    runs = [measure(app, client, args.rounds, args.warmup) for _ in range(args.runs)]
    print(f"median of {args.runs} runs of {args.rounds} rounds (p95: median of the runs' p95)")
    report(runs)


if __name__ == "__main__":
    main()
