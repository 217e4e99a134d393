"""Back-office benchmark data (issue 10 "Measure", PERFORMANCE.md rows "office queue"
and "office ticket page"): N tickets (default 1M) across all 514 regency offices.

Into a migrated database with regions loaded (done here when missing), fast:

* PostgreSQL: ``COPY … FROM STDIN`` through psycopg, rows formatted as text here;
  SQLite: ``executemany`` in one transaction per 100,000 rows. The tickets'
  plain indexes (office/due, status, village, …) are dropped before the load
  and built after it; the unique ones stay.
* Offices differ in size (a long tail, as real kab/kota do); the demo
  handler's office, ``dinsos-32.01`` (Kab. Bogor), is the largest, about 1.5 %
  of all tickets: the office ``office_bench.py`` logs in to.
* Statuses, due dates and assignees follow the workflow's rules
  (``workflow.next_due``): a year of history, most tickets closed, the open
  ones spread over the next weeks with a share overdue; three bulk-made
  handlers per office (no TOTP: they cannot log in), most tickets under
  review assigned to one of them.
* One target ticket in the big office gets 20 events and 5 evidence rows
  whose files are real tiny images in the instance's evidence store.

Encrypted columns hold one ciphertext per column, made once with the
instance's keyring (so the target ticket's page decrypts), and every PIN hash
is one fixed Argon2 hash: their content does not matter for timing. One
``submitted`` event per ticket gives ``ticket_events`` a realistic size
(``--no-events`` to skip). The summary goes to ``<instance>/office-bench.json``.

    .venv/bin/python bench/office_data.py --instance /tmp/office-bench-sqlite --tickets 10000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test_demo \\
        .venv/bin/python bench/office_data.py --instance /tmp/office-bench-pg --tickets 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from office_rows import BATCH, Columns, ticket_rows  # noqa: E402

TARGET_OFFICE = "dinsos-32.01"
HANDLERS_PER_OFFICE = 3


def make_app(instance: Path):
    instance.mkdir(parents=True, exist_ok=True)
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    os.environ.setdefault("PORTAL_ENV", "development")
    from portal import create_app

    return create_app()


def prepare(app) -> None:
    """Migrate and load regions when missing (as ``flask db upgrade`` and ``regions load``)."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from portal.db import transaction
    from portal.extensions import db
    from portal.regions.loader import load_regions
    from portal.regions.models import Office

    upgrade()
    if not db.session.scalar(select(func.count()).select_from(Office)):
        with transaction():
            load_regions()


def offices_and_villages() -> tuple[list[tuple[int, str]], dict[int, list[str]]]:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.regions.models import VILLAGE, Office, Region

    offices = list(
        db.session.execute(
            select(Office.id, Office.code, Office.region_code)
            .where(Office.level == "regency")
            .order_by(Office.id)
        )
    )
    villages: dict[int, list[str]] = {}
    by_regency = {region: oid for oid, _, region in offices}
    for code in db.session.scalars(select(Region.code).where(Region.level == VILLAGE)):
        oid = by_regency.get(code[:5])
        if oid is not None:
            villages.setdefault(oid, []).append(code)
    return [(oid, code) for oid, code, _ in offices], villages


def office_weights(offices: list[tuple[int, str]], rng: random.Random) -> list[float]:
    """A long tail: most offices small, a few large; the target office the largest."""
    weights = [rng.paretovariate(1.6) for _ in offices]
    top = max(weights)
    for i, (_, code) in enumerate(offices):
        if code == TARGET_OFFICE:
            weights[i] = top * 1.2
    total = sum(weights)
    target = next(i for i, (_, c) in enumerate(offices) if c == TARGET_OFFICE)
    # about 1.5 % of all tickets in the target office, whatever the draw
    weights[target] = 0.015 / 0.985 * (total - weights[target])
    return weights


def add_handlers(offices: list[tuple[int, str]]) -> dict[int, list[int]]:
    """Three handlers per office, bulk-inserted with one fixed password hash (no TOTP)."""
    from sqlalchemy import insert, select

    from portal.crypto import argon2_hash
    from portal.db import transaction
    from portal.extensions import db
    from portal.staff.models import StaffUser

    existing = db.session.execute(
        select(StaffUser.office_id, StaffUser.id).where(StaffUser.email.like("bench-%"))
    ).all()
    if not existing:
        password_hash = argon2_hash("not a password anyone uses")
        now = dt.datetime.now(dt.UTC)
        rows = [
            {
                "email": f"bench-{code}-{k}@office-bench.example",
                "display_name": f"Petugas {k} {code}",
                "password_hash": password_hash,
                "role": "handler",
                "office_id": oid,
                "active": True,
                "is_demo": False,
                "created_at": now,
            }
            for oid, code in offices
            for k in range(1, HANDLERS_PER_OFFICE + 1)
        ]
        with transaction():
            db.session.execute(insert(StaffUser), rows)
        existing = db.session.execute(
            select(StaffUser.office_id, StaffUser.id).where(StaffUser.email.like("bench-%"))
        ).all()
    handlers: dict[int, list[int]] = {}
    for office_id, staff_id in sorted(existing, key=lambda r: r[1]):
        handlers.setdefault(office_id, []).append(staff_id)
    return handlers


def blobs(app) -> dict[str, bytes]:
    """One ciphertext per encrypted column, valid under this instance's keys."""
    from portal.tickets import models as m

    ring = app.extensions["keyring"]
    return {
        "subject_name": ring.encrypt("Asep Sunandar", m.P_SUBJECT_NAME),
        "subject_address": ring.encrypt("Jl. Melati No. 3, RT 001/RW 002", m.P_SUBJECT_ADDRESS),
        "details": ring.encrypt("Atap rumah rusak berat setelah hujan angin.", m.P_DETAILS),
        "contact": ring.encrypt("0812-3456-7890", m.P_REPORTER_CONTACT),
    }


# -- loading -------------------------------------------------------------------------
def plain_ticket_indexes():
    from portal.tickets.models import Ticket, TicketEvent

    return [
        i
        for table in (Ticket.__table__, TicketEvent.__table__)
        for i in table.indexes
        if not i.unique
    ]


def drop_indexes(engine) -> None:
    from sqlalchemy import inspect

    names = {
        i["name"] for t in ("tickets", "ticket_events") for i in inspect(engine).get_indexes(t)
    }
    for index in plain_ticket_indexes():
        if index.name in names:
            index.drop(engine)


def build_indexes(engine) -> None:
    from sqlalchemy import inspect

    names = {
        i["name"] for t in ("tickets", "ticket_events") for i in inspect(engine).get_indexes(t)
    }
    for index in plain_ticket_indexes():
        if index.name not in names:
            index.create(engine)


def clear_sqlite(engine, tables: tuple[str, ...]) -> None:
    """Empty the tables without foreign-key checks: ``tickets.duplicate_of_id``
    has no index, so checked deletes scan the table once per deleted row."""
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        conn.isolation_level = None
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("BEGIN")
        for table in tables:
            conn.execute(f"DELETE FROM {table}")
        conn.execute("COMMIT")
        conn.execute("PRAGMA foreign_keys=ON")
    finally:
        raw.close()


def load_sqlite(raw, cols: Columns, rows_iter, events: bool) -> None:
    ticket_sql = (
        f"INSERT INTO tickets ({', '.join(cols.tickets)}) "
        f"VALUES ({', '.join('?' * len(cols.tickets))})"
    )
    event_sql = (
        f"INSERT INTO ticket_events ({', '.join(cols.events)}) "
        f"VALUES ({', '.join('?' * len(cols.events))})"
    )
    cur = raw.cursor()
    for tickets, evs in rows_iter:
        cur.execute("BEGIN")
        cur.executemany(ticket_sql, tickets)
        if events:
            cur.executemany(event_sql, evs)
        cur.execute("COMMIT")


def load_postgres(raw, cols: Columns, rows_iter, events: bool) -> None:
    with raw.cursor() as cur:
        for tickets, evs in rows_iter:
            with cur.copy(f"COPY tickets ({', '.join(cols.tickets)}) FROM STDIN") as copy:
                copy.write("".join(tickets))
            if events:
                with cur.copy(f"COPY ticket_events ({', '.join(cols.events)}) FROM STDIN") as copy:
                    copy.write("".join(evs))
            raw.commit()
        cur.execute("SELECT setval(pg_get_serial_sequence('tickets', 'id'), max(id)) FROM tickets")
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('ticket_events', 'id'), max(id)) "
            "FROM ticket_events"
        )
    raw.commit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instance", type=Path, required=True, help="PORTAL_INSTANCE_PATH to use")
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--no-events", dest="events", action="store_false")
    ap.add_argument("--reset", action="store_true", help="delete existing tickets first")
    args = ap.parse_args()

    app = make_app(args.instance)
    with app.app_context():
        from sqlalchemy import func, select, text

        from portal.extensions import db
        from portal.tickets.models import Ticket

        prepare(app)
        backend = db.engine.dialect.name
        existing = db.session.scalar(select(func.count()).select_from(Ticket))
        if existing and not args.reset:
            sys.exit(f"{existing} tickets already there: --reset to replace them")
        t0 = time.perf_counter()
        if existing:
            tables = ("evidence", "field_visits", "ticket_events", "outbox", "tickets")
            if backend == "postgresql":
                db.session.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
                db.session.commit()
            else:
                clear_sqlite(db.engine, tables)
        rng = random.Random(args.seed)
        offices, villages = offices_and_villages()
        weights = office_weights(offices, rng)
        handlers = add_handlers(offices)
        cols = Columns.for_backend(backend)
        db.session.commit()
        drop_indexes(db.engine)
        t_load = time.perf_counter()
        rows_iter = ticket_rows(
            args.tickets, rng, offices, weights, villages, handlers, blobs(app), cols
        )
        raw = db.engine.raw_connection()
        try:
            if backend == "postgresql":
                load_postgres(raw.driver_connection, cols, rows_iter, args.events)
            else:
                raw.driver_connection.isolation_level = None
                load_sqlite(raw.driver_connection, cols, rows_iter, args.events)
        finally:
            raw.close()
        t_index = time.perf_counter()
        build_indexes(db.engine)
        if backend == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE tickets"))
                conn.execute(text("VACUUM ANALYZE ticket_events"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        t_target = time.perf_counter()
        from office_target import make_target

        target = make_target(app, handlers)
        t_end = time.perf_counter()
        summary = {
            "backend": backend,
            "tickets": args.tickets,
            "events_per_ticket": 1 if args.events else 0,
            "target_office": TARGET_OFFICE,
            "target_office_tickets": target["office_tickets"],
            "target_reference": target["reference"],
            "target_assignee_id": target["assignee_id"],
            "seconds": {
                "rows_and_load": round(t_index - t_load, 1),
                "indexes_and_analyze": round(t_target - t_index, 1),
                "target_ticket": round(t_end - t_target, 1),
                "total": round(t_end - t0, 1),
            },
        }
        (args.instance / "office-bench.json").write_text(json.dumps(summary, indent=2) + "\n")
        print(json.dumps(summary, indent=2))
        print(f"{args.tickets / (t_index - t_load):,.0f} tickets/s loaded ({BATCH:,} per batch)")


if __name__ == "__main__":
    main()
