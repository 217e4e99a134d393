"""The decisions export of one office's month (issue 12 "Measure"): rows/s
of ``exports.decisions_csv`` (the query, KK and head NIK decrypted, the CSV
written) against a reference measured in the same run: the same query
streamed the same way, its rows fetched and dropped (no decrypting, no
formatting). Also the peak Python memory of one export (tracemalloc), to
show it stays flat.

Data (made here, once per instance; ``--reset`` to make it again): in
Dinas Sosial Kab. Bogor (``dinsos-32.01``), ``--tickets`` tickets decided in
March 2026 WIB (the month exported) and as many decided in February (in
the same office, outside the period), 80 % of them about a registry
household of three members whose KK and head identity are real ciphertexts
of the instance's keyring; one ``decided`` event each.

    .venv/bin/python bench/export_bench.py --instance /tmp/export-bench-sqlite --tickets 20000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_exports \\
        .venv/bin/python bench/export_bench.py --instance /tmp/export-bench-pg --tickets 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import secrets
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from office_data import make_app, prepare  # noqa: E402

OFFICE = "dinsos-32.01"
RUNS = 5
CHUNK = 2000


def _reset(db) -> None:
    from sqlalchemy import text

    with db.engine.begin() as conn:
        for table in ("ticket_events", "tickets", "persons", "households"):
            conn.execute(text(f"DELETE FROM {table}"))


def make_data(app, n: int, seed: int) -> None:
    from sqlalchemy import func, insert, select

    from portal.extensions import db
    from portal.regions.models import Office, Region
    from portal.registry.identity import seal_identity
    from portal.registry.models import Household, Person
    from portal.registry.validation import P_ADDRESS, P_KK
    from portal.tickets.models import P_SUBJECT_NAME, Ticket, TicketEvent

    rng = random.Random(seed)
    keyring = app.extensions["keyring"]
    office = db.session.scalar(select(Office).where(Office.code == OFFICE))
    villages = list(
        db.session.scalars(
            select(Region.code).where(Region.level == 4, Region.code.startswith("32.01."))
        )
    )
    if db.session.scalar(select(func.count()).select_from(Ticket)) >= 2 * n:
        return
    _reset(db)
    now = dt.datetime(2026, 4, 2, 3, 0, tzinfo=dt.UTC)
    name_blob = keyring.encrypt("Keluarga Contoh", P_SUBJECT_NAME)
    other_identity = seal_identity(keyring, "3201010101900001", "Anggota Keluarga", "1990-01-01")
    address = keyring.encrypt("Jl. Contoh No. 1, RT 001/RW 001", P_ADDRESS)
    started = time.perf_counter()
    for first in range(0, 2 * n, CHUNK):
        households, persons, tickets, events = [], [], [], []
        for i in range(first, min(first + CHUNK, 2 * n)):
            hid = tid = i + 1
            village = rng.choice(villages)
            kk = f"3201{i:012d}"
            registry = rng.random() < 0.8
            if registry:
                households.append(
                    dict(
                        id=hid,
                        kk_index=secrets.token_bytes(16),
                        kk_enc=keyring.encrypt(kk, P_KK),
                        village_code=village,
                        address_enc=address,
                        desil=3,
                        programs="PKH",
                        data_as_of=dt.date(2025, 3, 1),
                        content_digest=secrets.token_bytes(32),
                        changed_at=now,
                    )
                )
                for rel, ident in (
                    ("istri", other_identity),
                    ("kepala_keluarga", seal_identity(keyring, f"32{i:014d}", "K", "1980-01-01")),
                    ("anak", other_identity),
                ):
                    persons.append(
                        dict(
                            household_id=hid,
                            nik_index=secrets.token_bytes(16),
                            identity_enc=ident,
                            relationship=rel,
                            sex="L",
                            data_updated_at=dt.date(2025, 3, 1),
                        )
                    )
            # The first n in March (WIB), the others in February.
            month_start = dt.datetime(2026, 3 if i < n else 2, 1, tzinfo=dt.UTC)
            decided_at = month_start + dt.timedelta(seconds=rng.randrange(27 * 86400))
            outcome = rng.choice(("accepted", "rejected"))
            tickets.append(
                dict(
                    id=tid,
                    reference=f"DT-{i:09d}",
                    pin_hash="x",
                    tracking_token_index=secrets.token_bytes(32),
                    lang="id",
                    kind="proposal",
                    subkind="own_household" if registry else "other_household",
                    household_id=hid if registry else None,
                    subject_name_enc=None if registry else name_blob,
                    village_code=village,
                    office_id=office.id,
                    reason_codes="income_dropped",
                    reporter_confidential=False,
                    consent_version="2026-01",
                    consent_at=decided_at - dt.timedelta(days=20),
                    status=rng.choice((outcome, "closed")) if outcome == "rejected" else outcome,
                    status_changed_at=decided_at,
                    due_triage=decided_at.date(),
                    version=5,
                    created_at=decided_at - dt.timedelta(days=20),
                    updated_at=decided_at,
                    decision_reasons=(
                        "meets_criteria" if outcome == "accepted" else "not_meeting_criteria"
                    ),
                    escalation_level=0,
                    pin_failures=0,
                )
            )
            events.append(
                dict(
                    ticket_id=tid,
                    at=decided_at,
                    actor="staff:1",
                    kind="decided",
                    from_status="verified",
                    to_status=outcome,
                    public=True,
                )
            )
        with db.engine.begin() as conn:
            if households:
                conn.execute(insert(Household), households)
                conn.execute(insert(Person), persons)
            conn.execute(insert(Ticket), tickets)
            conn.execute(insert(TicketEvent), events)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    print(f"made {2 * n} decided tickets in {time.perf_counter() - started:.1f} s")


def time_export(office_id, period, keyring) -> tuple[float, int]:
    from portal.tickets import exports

    started = time.perf_counter()
    size = lines = 0
    for chunk in exports.decisions_csv(office_id, period, keyring):
        size += len(chunk.encode("utf-8"))
        lines += chunk.count("\r\n")
    return time.perf_counter() - started, lines - 1


def time_reference(office_id, period) -> tuple[float, int]:
    """The same query, streamed in the same batches, rows dropped."""
    from portal.extensions import db
    from portal.tickets import exports

    started = time.perf_counter()
    rows = 0
    result = db.session.execute(
        exports.decisions_query(office_id, period),
        execution_options={"stream_results": True, "yield_per": exports.BATCH},
    )
    for part in result.partitions(exports.BATCH):
        rows += len(part)
    db.session.rollback()
    return time.perf_counter() - started, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instance", type=Path, required=True)
    ap.add_argument("--tickets", type=int, default=20_000, help="decided in the month exported")
    ap.add_argument("--seed", type=int, default=12)
    args = ap.parse_args()
    app = make_app(args.instance)
    with app.app_context():
        from sqlalchemy import select

        from portal.extensions import db
        from portal.regions.models import Office
        from portal.tickets.exports import Period

        prepare(app)
        make_data(app, args.tickets, args.seed)
        keyring = app.extensions["keyring"]
        office_id = db.session.scalar(select(Office.id).where(Office.code == OFFICE))
        period = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
        time_export(office_id, period, keyring)  # warm: caches, plans, pages
        exports_t, refs_t = [], []
        for _ in range(RUNS):
            seconds, rows = time_export(office_id, period, keyring)
            exports_t.append(seconds)
            ref_seconds, ref_rows = time_reference(office_id, period)
            refs_t.append(ref_seconds)
            assert rows == ref_rows == args.tickets, (rows, ref_rows)
        tracemalloc.start()
        time_export(office_id, period, keyring)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        export_s, ref_s = statistics.median(exports_t), statistics.median(refs_t)
        print(f"backend {db.engine.dialect.name}, {rows} rows in the month, median of {RUNS}")
        print(f"export (decrypt + CSV): {export_s * 1000:.0f} ms, {rows / export_s:,.0f} rows/s")
        print(
            f"reference (same query, rows dropped): {ref_s * 1000:.0f} ms, "
            f"{rows / ref_s:,.0f} rows/s"
        )
        print(f"ratio export/reference rows/s: {ref_s / export_s:.2f}")
        print(f"peak traced Python memory during one export: {peak / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
