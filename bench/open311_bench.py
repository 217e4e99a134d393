"""Open311 ``GET /open311/v2/requests.json`` benchmark (issue 13 "Measure",
PERFORMANCE.md: 90 days, 1,000 rows, 1M tickets, p95 ≤ 150 ms against the
bare route in the same run), on the data of ``bench/office_data.py``.

In process through Flask's test client, as ``performance_bench.py``: each
round requests the bare route (``/_bare``, a Flask route returning a short
string), then each Open311 query, interleaved so the machine's noise falls
on all alike. p50/p95 per query, median of ``--runs`` runs, and the ratio
of its p50 to the bare route's. Queries:

* ``requests.json``: the default, the last 90 days, newest first, 1,000
  rows (the target);
* ``requests.xml``: the same in XML;
* ``requests.json?api_key=…``: a partner's read (key check, budget, audit
  row with a commit; none of the rows its own, so no decryption);
* apart, ``--slow`` times: ``requests.json?status=closed``, a filter that
  skips most rows of the window (``ix_tickets_created`` walked further).

Before measuring it prints the query plan of the default query.

    .venv/bin/python bench/office_data.py --instance /tmp/open311-bench/sqlite --tickets 1000000
    taskset -c 1 .venv/bin/python bench/open311_bench.py --instance /tmp/open311-bench/sqlite
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_open311 \\
        .venv/bin/python bench/office_data.py --instance /tmp/open311-bench/pg --tickets 1000000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_open311 \\
        taskset -c 1 .venv/bin/python bench/open311_bench.py --instance /tmp/open311-bench/pg
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The bench partner's key is used thousands of times.
os.environ["PORTAL_PARTNER_LIMIT_PER_KEY"] = "1000000000 per hour"

TARGET_MS = 150
PARTNER = "open311-bench"


def make_app(instance: Path):
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    os.environ.setdefault("PORTAL_ENV", "development")
    from portal import create_app

    app = create_app()
    app.add_url_rule("/_bare", "bare", lambda: "ok")
    return app


def bench_key(app) -> str:
    """A partner made for the bench (a new key each run; the old one revoked)."""
    from sqlalchemy import select

    from portal.db import transaction
    from portal.extensions import db
    from portal.partners.keys import hash_key, new_key
    from portal.partners.models import Partner

    raw = new_key()
    now = dt.datetime.now(dt.UTC)
    with app.app_context(), transaction():
        partner = db.session.scalar(select(Partner).where(Partner.name == PARTNER))
        if partner is None:
            partner = Partner(name=PARTNER, key_hash=b"", key_prefix="", created_at=now)
            db.session.add(partner)
        partner.key_hash, partner.key_prefix, partner.revoked_at = hash_key(raw), raw[:12], None
    return raw


def show_plan(app) -> None:
    from werkzeug.datastructures import MultiDict

    from portal.extensions import db
    from portal.web.api.open311 import requests_read as rr

    with app.app_context():
        wanted = rr.parse_filter(MultiDict(), dt.datetime.now(dt.UTC))
        engine = db.engine
        compiled = rr.requests_query(wanted).compile(dialect=engine.dialect)
        params = compiled.params
        sqlite = engine.dialect.name == "sqlite"
        if compiled.positional:
            params = tuple(
                _sqlite_value(params[k]) if sqlite else params[k] for k in compiled.positiontup
            )
        prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(prefix + str(compiled), params).all()
            in_window = conn.exec_driver_sql(
                "SELECT count(*) FROM tickets WHERE created_at >= " + ("?" if sqlite else "%(s)s"),
                (_sqlite_value(wanted.start),) if sqlite else {"s": wanted.start},
            ).scalar()
    print(f"tickets in the last 90 days: {in_window:,}")
    print("plan of the default query:")
    for row in rows:
        print("   ", row[-1])


def _sqlite_value(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    return value


def queries(key: str) -> dict[str, str]:
    return {
        "requests.json (90 days, 1,000 rows)": "/open311/v2/requests.json",
        "requests.xml": "/open311/v2/requests.xml",
        "requests.json?api_key=… (partner)": f"/open311/v2/requests.json?api_key={key}",
    }


#: Timed apart, a few times: each walks most of the window.
SLOW = {"requests.json?status=closed": "/open311/v2/requests.json?status=closed"}


def measure_slow(client, times: int) -> None:
    for name, url in SLOW.items():
        took = []
        for _ in range(times):
            t0 = time.perf_counter()
            response = client.get(url)
            took.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")
        rows = len(response.get_json())
        print(f"{name}: {rows:,} rows, median {statistics.median(took):.0f} ms of {times}")


def measure(client, urls: dict[str, str], rounds: int, warmup: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in ("bare", *urls)}
    for i in range(rounds + warmup):
        for name, url in (("bare", "/_bare"), *urls.items()):
            t0 = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - t0
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code} {response.data[:200]!r}")
            if name != "bare" and url.endswith(".json") and len(response.get_json()) != 1000:
                raise RuntimeError(f"{url}: {len(response.get_json())} rows, not 1,000")
            if i >= warmup:
                times[name].append(elapsed * 1000)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def report(runs: list[dict[str, list[float]]]) -> None:
    med = statistics.median
    print(f"{'query':<40} {'p50 ms':>8} {'p95 ms':>8} {'x bare':>8}  target")
    for name in runs[0]:
        p50 = med(med(r[name]) for r in runs)
        p95s = med(p95(r[name]) for r in runs)
        ratio = med(med(r[name]) / med(r["bare"]) for r in runs)
        target = ""
        if name.startswith("requests.json (90"):
            target = f"p95 <= {TARGET_MS} ms: {'met' if p95s <= TARGET_MS else 'MISSED'}"
        print(f"{name:<40} {p50:>8.2f} {p95s:>8.2f} {ratio:>7.1f}x  {target}")
    target = list(runs[0])[1]
    print("each run's p95 of the target (ms):", [round(p95(r[target]), 2) for r in runs])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instance", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=100, help="measured rounds per run")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--slow", type=int, default=5, help="times to run each SLOW query (0: none)")
    args = ap.parse_args()
    summary = json.loads((args.instance / "office-bench.json").read_text())
    app = make_app(args.instance)
    print(f"[{summary['backend']}] {summary['tickets']:,} tickets")
    show_plan(app)
    urls = queries(bench_key(app))
    client = app.test_client()
    runs = [measure(client, urls, args.rounds, args.warmup) for _ in range(args.runs)]
    print(f"median of {args.runs} runs of {args.rounds} rounds (p95: median of the runs' p95)")
    report(runs)
    if args.slow:
        measure_slow(client, args.slow)


if __name__ == "__main__":
    main()
