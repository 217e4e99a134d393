"""Back-office benchmark (issue 10 "Measure"; PERFORMANCE.md rows "office queue"
and "office ticket page"), on the data of ``bench/office_data.py``.

In process, through Flask's test client, as ``lookup_bench.py`` (a): each
round requests a bare route, then every page measured, interleaved, so the
machine's noise falls on all alike. Two references, measured in the same run:

* ``/_bare``: a bare Flask route returning a short string (PERFORMANCE.md's reference);
* ``/_bare_staff``: the same string behind the office's own staff check (the
  session lookup of ``office.auth.load_staff`` and ``staff_required``), so
  the ratio to it is what the page itself costs beyond being logged in.

Pages: the queue's first page (``GET /office/``) for a handler of the largest
office, without filters and with each filter (status, kind, overdue,
assignee) and two together; the ticket page (``GET /office/tickets/<ref>``)
of the target ticket (20 events, 5 files). Per page: p50 and p95 server time
and the ratio of its p50 to the bare route's; targets p95 ≤ 50 ms (queue)
and ≤ 80 ms (ticket page). A page that does not answer 200 (not merged yet)
is reported and skipped.

Then the EXPLAIN (QUERY PLAN) of every query on ``tickets`` that one request
of each queue page runs, captured from the engine as the page runs it, so
the plan shown is the page's real query, whatever ``portal/tickets/queue.py``
builds; and of the reference query the indexes were made for.

Logging in: the handler is created with ``create_staff`` and a TOTP secret
(``totp.enrol``), as ``tests/staff/conftest.py`` does, and a ``StaffSession``
is started directly (``staff.sessions.start_session``) and its token put in
the test client's session cookie: exactly what the code step of the login
stores, without the two login pages and their rate limits. The per-account
request budget is lifted for the run.

    .venv/bin/python bench/office_bench.py --instance /tmp/office-bench-sqlite
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test_demo \\
        .venv/bin/python bench/office_bench.py --instance /tmp/office-bench-pg
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# Before anything imports ``portal`` (office_plans does): its config reads the
# environment once, at import.
os.environ["PORTAL_STAFF_LIMIT_PER_ACCOUNT"] = "1000000000 per hour"

from office_plans import explain_page, explain_reference  # noqa: E402

BENCH_EMAIL = "bench-login@office-bench.example"
QUEUE_TARGET_MS, TICKET_TARGET_MS = 50, 80


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


def bench_login(app, client, office_code: str) -> int:
    """A handler of ``office_code`` with a live session in ``client``'s cookie."""
    import datetime as dt

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
            office = db.session.scalar(select(Office).where(Office.code == office_code))
            user = create_staff(
                email=BENCH_EMAIL,
                display_name="Petugas Bench",
                role="handler",
                password="sawah hijau di kaki gunung salak",
                office=office,
            )
            totp.enrol(user, totp.new_secret(), app.extensions["keyring"])
        token = start_session(user, dt.datetime.now(dt.UTC))
        staff_id = user.id
    with client.session_transaction() as sess:
        sess[SESSION_STAFF] = token
    return staff_id


def pages(summary: dict, staff_id: int) -> dict[str, str]:
    other = summary["target_assignee_id"]
    queue = {
        "queue": "/office/",
        "queue status=in_review": "/office/?status=in_review",
        "queue kind=objection": "/office/?kind=objection",
        "queue overdue=1": "/office/?overdue=1",
        "queue assignee=none": "/office/?assignee=none",
        f"queue assignee={other}": f"/office/?assignee={other}",
        "queue status=in_review+assignee=me": "/office/?status=in_review&assignee=me",
    }
    return {**queue, "ticket page": f"/office/tickets/{summary['target_reference']}"}


def measure(client, urls: dict[str, str], rounds: int, warmup: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in ("bare", "bare_staff", *urls)}
    refs = {"bare": "/_bare", "bare_staff": "/_bare_staff"}
    for i in range(rounds + warmup):
        for name, url in (*refs.items(), *urls.items()):
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


def answering(client, urls: dict[str, str]) -> dict[str, str]:
    ok = {}
    for name, url in urls.items():
        status = client.get(url).status_code
        if status == 200:
            ok[name] = url
        else:
            print(f"  skipped {name}: GET {url} answers {status} (not merged yet?)")
    return ok


def report(runs: list[dict[str, list[float]]]) -> None:
    med = statistics.median
    names = list(runs[0])
    print(f"{'page':<40} {'p50 ms':>8} {'p95 ms':>8} {'x bare':>7} {'x staff':>8}  target")
    for name in names:
        p50s = [med(r[name]) for r in runs]
        p95s = [p95(r[name]) for r in runs]
        ratio = med(med(r[name]) / med(r["bare"]) for r in runs)
        ratio_staff = med(med(r[name]) / med(r["bare_staff"]) for r in runs)
        limit = QUEUE_TARGET_MS if name.startswith("queue") else TICKET_TARGET_MS
        target = ""
        if name.startswith(("queue", "ticket")):
            target = f"p95 <= {limit} ms: {'met' if med(p95s) <= limit else 'MISSED'}"
        print(
            f"{name:<40} {med(p50s):>8.2f} {med(p95s):>8.2f} {ratio:>6.1f}x "
            f"{ratio_staff:>7.1f}x  {target}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instance", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=200, help="measured rounds per run")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-explain", dest="explain", action="store_false")
    args = ap.parse_args()
    summary = json.loads((args.instance / "office-bench.json").read_text())
    app = make_app(args.instance)
    client = app.test_client()
    staff_id = bench_login(app, client, summary["target_office"])
    print(
        f"[{summary['backend']}] {summary['tickets']:,} tickets; handler {staff_id} of "
        f"{summary['target_office']} ({summary['target_office_tickets']:,} tickets); "
        f"target ticket {summary['target_reference']}"
    )
    urls = answering(client, pages(summary, staff_id))
    runs = [measure(client, urls, args.rounds, args.warmup) for _ in range(args.runs)]
    print(f"median of {args.runs} runs of {args.rounds} rounds (p95: median of the runs' p95)")
    report(runs)
    if args.explain:
        with app.app_context():
            for name, url in urls.items():
                explain_page(app, client, name, url)
            explain_reference(app, summary["target_office"])


if __name__ == "__main__":
    main()
