"""Office performance benchmark (issue 12 §5 "Measure"): the national
performance page with 1M tickets, p95 server time (target ≤ 200 ms), and
the time of ``flask tickets performance-refresh``, on the data of
``bench/office_data.py``.

1. Data step (once; skipped when done): ``office_data.py`` writes one
   ``submitted`` event per ticket. The figures also need the first triage
   and decision, so this adds, in SQL (``INSERT … SELECT``):

   * a ``triaged`` event 1–3 days after submission for every ticket past
     submission (not submitted/transferred);
   * a ``decided`` event 20–69 days after submission (capped at an hour ago)
     for every decided ticket (accepted, rejected, forwarded, closed): about
     one in five after its 60-day deadline;
   * a rating (1–5) for one decided ticket in four.

2. The refresh (``performance.refresh`` in one transaction, as the command
   does): ``--refreshes`` times, median and each time, and the rows written.

3. The pages, in process through Flask's test client as ``office_bench.py``:
   each round requests the bare route, then every page, interleaved so the
   machine's noise falls on all alike. References in the same run:
   ``/_bare`` (a bare Flask route returning a short string) and
   ``/_bare_staff`` (the same behind the office's staff check). Pages, as a
   supervisor of the national office: ``/office/performance`` (the nation and
   its 38 provinces), its CSV, a province (``prov-32``: 27 offices) and the
   largest office (``dinsos-32.01``: its row and the live workload of its
   handlers). p50/p95 per page (median of ``--runs`` runs) and the ratio
   of its p50 to the bare route's.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_perf \\
        .venv/bin/python bench/office_data.py --instance /tmp/perf-bench-pg --tickets 1000000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_perf \\
        taskset -c 1 .venv/bin/python bench/performance_bench.py --instance /tmp/perf-bench-pg
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ["PORTAL_STAFF_LIMIT_PER_ACCOUNT"] = "1000000000 per hour"

BENCH_EMAIL = "bench-perf-national@office-bench.example"
TARGET_MS = 200
DECIDED = "('accepted', 'rejected', 'forwarded', 'closed')"

PG_STEPS = [
    """INSERT INTO ticket_events (ticket_id, at, actor, kind, from_status, to_status, public)
    SELECT id, created_at + make_interval(days => 1 + (id % 3)::int), 'system', 'triaged',
           'submitted', 'in_review', true
    FROM tickets WHERE status NOT IN ('submitted', 'transferred')""",
    f"""INSERT INTO ticket_events (ticket_id, at, actor, kind, from_status, to_status, public)
    SELECT id, LEAST(created_at + make_interval(days => 20 + (id % 50)::int),
                     now() - interval '1 hour'),
           'system', 'decided', 'verified',
           CASE WHEN id % 3 = 0 THEN 'rejected' ELSE 'accepted' END, true
    FROM tickets WHERE status IN {DECIDED}""",
    f"""INSERT INTO ratings (ticket_id, office_id, score, created_at)
    SELECT id, office_id, 1 + (id % 5)::int,
           LEAST(created_at + make_interval(days => 22 + (id % 50)::int), now())
    FROM tickets WHERE status IN {DECIDED} AND id % 4 = 0""",
]
SQLITE_STEPS = [
    """INSERT INTO ticket_events (ticket_id, at, actor, kind, from_status, to_status, public)
    SELECT id, datetime(created_at, '+' || (1 + id % 3) || ' days'), 'system', 'triaged',
           'submitted', 'in_review', 1
    FROM tickets WHERE status NOT IN ('submitted', 'transferred')""",
    f"""INSERT INTO ticket_events (ticket_id, at, actor, kind, from_status, to_status, public)
    SELECT id, min(datetime(created_at, '+' || (20 + id % 50) || ' days'),
                   datetime('now', '-1 hour')),
           'system', 'decided', 'verified',
           CASE WHEN id % 3 = 0 THEN 'rejected' ELSE 'accepted' END, 1
    FROM tickets WHERE status IN {DECIDED}""",
    f"""INSERT INTO ratings (ticket_id, office_id, score, created_at)
    SELECT id, office_id, 1 + id % 5,
           min(datetime(created_at, '+' || (22 + id % 50) || ' days'), datetime('now'))
    FROM tickets WHERE status IN {DECIDED} AND id % 4 = 0""",
]


def make_app(instance: Path):
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    os.environ.setdefault("PORTAL_ENV", "development")
    from flask import g

    from portal import create_app
    from portal.web.office import auth

    app = create_app()
    app.add_url_rule("/_bare", "bare", lambda: "ok")

    @auth.staff_required()
    def bare_staff_view():
        return "ok"

    def bare_staff():
        auth.load_staff()
        return bare_staff_view() if g.staff is not None else ("no staff", 401)

    app.add_url_rule("/_bare_staff", "bare_staff", bare_staff)
    return app


def add_events(app) -> str:
    """The triage and decision events and the ratings (once)."""
    from sqlalchemy import text

    from portal.extensions import db

    with app.app_context():
        done = db.session.scalar(text("SELECT 1 FROM ticket_events WHERE kind = 'decided' LIMIT 1"))
        if done:
            return "events already added"
        backend = db.engine.dialect.name
        t0 = time.perf_counter()
        for step in PG_STEPS if backend == "postgresql" else SQLITE_STEPS:
            db.session.execute(text(step))
        db.session.commit()
        if backend == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE ticket_events"))
                conn.execute(text("VACUUM ANALYZE ratings"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        events = db.session.scalar(text("SELECT count(*) FROM ticket_events"))
        return f"events added in {time.perf_counter() - t0:.1f} s; ticket_events now {events:,}"


def time_refresh(app, times: int) -> list[float]:
    from portal.db import transaction
    from portal.tickets.performance import refresh

    took = []
    with app.app_context():
        for _ in range(times):
            t0 = time.perf_counter()
            with transaction():
                rows = refresh(dt.datetime.now(dt.UTC))
            took.append(time.perf_counter() - t0)
            print(f"  refresh: {rows} rows in {took[-1]:.2f} s")
    return took


def bench_login(app, client) -> int:
    """A supervisor of the national office with a live session in ``client``'s cookie."""
    from sqlalchemy import select

    from portal.db import transaction
    from portal.extensions import db
    from portal.regions.models import Office
    from portal.staff import totp
    from portal.staff.accounts import create_staff
    from portal.staff.models import StaffUser
    from portal.staff.sessions import start_session
    from portal.web.office.auth import SESSION_STAFF

    with app.app_context(), transaction():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == BENCH_EMAIL))
        if user is None:
            office = db.session.scalar(select(Office).where(Office.code == "national"))
            user = create_staff(
                email=BENCH_EMAIL,
                display_name="Supervisor Bench",
                role="supervisor",
                password="sawah hijau di kaki gunung salak",
                office=office,
            )
            totp.enrol(user, totp.new_secret(), app.extensions["keyring"])
        token = start_session(user, dt.datetime.now(dt.UTC))
        staff_id = user.id
    with client.session_transaction() as sess:
        sess[SESSION_STAFF] = token
    return staff_id


PAGES = {
    "national page": "/office/performance",
    "national CSV": "/office/performance.csv",
    "province prov-32": "/office/performance/prov-32",
    "office dinsos-32.01 (+workload)": "/office/performance/dinsos-32.01",
}


def measure(client, rounds: int, warmup: int) -> dict[str, list[float]]:
    refs = {"bare": "/_bare", "bare_staff": "/_bare_staff"}
    times: dict[str, list[float]] = {name: [] for name in (*refs, *PAGES)}
    for i in range(rounds + warmup):
        for name, url in (*refs.items(), *PAGES.items()):
            t0 = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - t0
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")
            if i >= warmup:
                times[name].append(elapsed * 1000)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def report(runs: list[dict[str, list[float]]]) -> None:
    med = statistics.median
    print(f"{'page':<34} {'p50 ms':>8} {'p95 ms':>8} {'x bare':>8} {'x staff':>8}  target")
    for name in runs[0]:
        p50 = med(med(r[name]) for r in runs)
        p95s = med(p95(r[name]) for r in runs)
        ratio = med(med(r[name]) / med(r["bare"]) for r in runs)
        ratio_staff = med(med(r[name]) / med(r["bare_staff"]) for r in runs)
        target = ""
        if name == "national page":
            target = f"p95 <= {TARGET_MS} ms: {'met' if p95s <= TARGET_MS else 'MISSED'}"
        print(f"{name:<34} {p50:>8.2f} {p95s:>8.2f} {ratio:>7.1f}x {ratio_staff:>7.1f}x  {target}")


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
    print(f"[{summary['backend']}] {summary['tickets']:,} tickets")
    print(add_events(app))
    took = time_refresh(app, args.refreshes)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"refresh: median {statistics.median(took):.2f} s of {len(took)}; peak RSS {rss:.0f} MiB")
    client = app.test_client()
    staff_id = bench_login(app, client)
    print(f"supervisor {staff_id} of the national office")
    runs = [measure(client, args.rounds, args.warmup) for _ in range(args.runs)]
    print(f"median of {args.runs} runs of {args.rounds} rounds (p95: median of the runs' p95)")
    report(runs)


if __name__ == "__main__":
    main()
