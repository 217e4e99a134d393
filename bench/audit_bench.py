"""Audit append benchmark (issue 10 §6, PERFORMANCE.md rules: ratios to a
reference measured in the same run, median of 5 runs).

Per backend, in a freshly migrated database already holding ``--prefill``
audit rows (a valid chain, so the "last row" lookup works on a full table):

* reference: one transaction inserting one plain row of the same width into
  a bare table (same columns, no chain, no lock, no unique indexes), commit;
* indexed: the same into a bare table with audit_log's two unique indexes
  (random 32-byte values), to tell the chain's cost from the indexes';
* audited: one transaction with ``record()`` (lock, last hash, SHA-256,
  ORM insert with the two unique indexes), commit.

Prints µs per action for each, the ratio audited/reference and the extra µs
an action pays; then ``flask audit verify``'s speed (rows/s) over the whole
table. Both kinds alternate within each run, so drift hits them alike.

    taskset -c 1 .venv/bin/python bench/audit_bench.py --backend both
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "portal_audit_bench"
T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", PG_ADMIN, "-c", sql], check=True)


def make_app(url: str, instance: Path):
    os.environ["PORTAL_INSTANCE_PATH"] = str(instance)
    os.environ["PORTAL_ENV"] = "development"
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from portal import create_app
    from portal.config import database_url

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(url, instance)})
    with app.app_context():
        upgrade()
    return app


def plain_table(name: str = "audit_bench_plain", unique: bool = False):
    from sqlalchemy import (
        BigInteger,
        Column,
        DateTime,
        Integer,
        LargeBinary,
        MetaData,
        String,
        Table,
    )

    return Table(
        name,
        MetaData(),
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("staff_id", BigInteger),
        Column("kind", String(32), nullable=False),
        Column("ticket_id", BigInteger),
        Column("evidence_id", BigInteger),
        Column("target_staff_id", BigInteger),
        Column("office_id", BigInteger),
        Column("detail", String(64)),
        Column("prev_hash", LargeBinary(32), nullable=False, unique=unique),
        Column("row_hash", LargeBinary(32), nullable=False, unique=unique),
    )


def prefill(count: int) -> None:
    """``count`` chained rows, in batches (inserts are allowed; the triggers
    refuse only UPDATE and DELETE)."""
    from types import SimpleNamespace

    from sqlalchemy import insert

    from portal.audit.log import GENESIS, chain_hash
    from portal.audit.models import AuditEntry
    from portal.db import transaction

    prev, batch = GENESIS, []
    for i in range(count):
        row = SimpleNamespace(
            at=T0 + dt.timedelta(seconds=i),
            staff_id=i % 50,
            kind="ticket_opened",
            ticket_id=i,
            evidence_id=None,
            target_staff_id=None,
            office_id=i % 7,
            detail=None,
        )
        row_hash = chain_hash(prev, row)
        batch.append({**vars(row), "prev_hash": prev, "row_hash": row_hash})
        prev = row_hash
        if len(batch) == 10_000 or i == count - 1:
            with transaction():
                from portal.extensions import db

                db.session.execute(insert(AuditEntry), batch)
            batch = []


def one_plain(table, i: int) -> None:
    from portal.db import transaction
    from portal.extensions import db

    with transaction():
        db.session.execute(
            table.insert().values(
                at=dt.datetime.now(dt.UTC),
                staff_id=3,
                kind="ticket_opened",
                ticket_id=i,
                office_id=5,
                detail="in_review>verified",
                prev_hash=os.urandom(32),
                row_hash=os.urandom(32),
            )
        )


def one_audited(i: int) -> None:
    from portal.audit.log import record
    from portal.db import transaction

    with transaction():
        record("ticket_opened", staff_id=3, ticket_id=i, office_id=5, detail="in_review>verified")


def backend_run(name: str, url: str, actions: int, runs: int, prefill_rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(url or f"sqlite:///{tmp}/bench.db", Path(tmp))
        from portal.extensions import db

        tables = [plain_table(), plain_table("audit_bench_indexed", unique=True)]
        with app.app_context():
            for table in tables:
                table.create(db.engine)
            t0 = time.perf_counter()
            prefill(prefill_rows)
            fill_s = time.perf_counter() - t0
            kinds = ("plain", "indexed", "audited")
            times: dict[str, list[float]] = {k: [] for k in kinds}
            counter = 0
            for run in range(runs):
                for which in kinds[run % 3 :] + kinds[: run % 3]:  # rotate the order
                    t0 = time.perf_counter()
                    for _ in range(actions):
                        counter += 1
                        if which == "audited":
                            one_audited(counter)
                        else:
                            one_plain(tables[which == "indexed"], counter)
                    times[which].append((time.perf_counter() - t0) / actions * 1e6)
            ref, idx, aud = (statistics.median(times[k]) for k in kinds)
            print(
                f"{name}: {prefill_rows} rows already; {actions} actions x {runs} runs "
                f"(prefill {fill_s:.1f}s); median us per action+commit: reference plain {ref:.0f}, "
                f"plain with the two unique indexes {idx:.0f}, audited record() {aud:.0f}"
            )
            print(
                f"{name}: RATIO audited/reference {aud / ref:.2f}x "
                f"(+{aud - ref:.0f} us per action); audited/indexed {aud / idx:.2f}x; "
                f"runs: { ({k: [round(x) for x in v] for k, v in times.items()}) }"
            )
            total = db.session.execute(db.text("SELECT count(*) FROM audit_log")).scalar()
            db.session.rollback()
        runner = app.test_cli_runner()
        t0 = time.perf_counter()
        result = runner.invoke(args=["audit", "verify"])
        took = time.perf_counter() - t0
        print(
            f"{name}: verify {total} rows in {took:.2f}s ({total / took:,.0f} rows/s): "
            f"{result.output.strip()[:60]}"
        )
        with app.app_context():
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--actions", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--prefill", type=int, default=200_000)
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        backend_run("sqlite", "", args.actions, args.runs, args.prefill)
    if args.backend in ("postgres", "both"):
        _psql(f"DROP DATABASE IF EXISTS {PG_DB}")
        _psql(f"CREATE DATABASE {PG_DB}")
        try:
            backend_run(
                "postgres",
                f"postgresql://postgres@127.0.0.1:5432/{PG_DB}",
                args.actions,
                args.runs,
                args.prefill,
            )
        finally:
            _psql(f"DROP DATABASE IF EXISTS {PG_DB}")


if __name__ == "__main__":
    main()
