"""A large snapshot import on PostgreSQL, measured for docs/capacity.md.

Imports ``bench/out/snapshot-<households>-7.csv`` (generated if missing) into a
fresh database of its own, prints the rate of every tenth of the file as it
goes (how it changes as the tables and their indexes grow), the time the
first load spends rebuilding its indexes, and at the end the size of every
registry table and of its indexes (``pg_total_relation_size``,
``pg_indexes_size``). Drops the database afterwards unless ``--keep``.

    nice .venv/bin/python bench/import_scale.py --households 2500000 --db test_import
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.import_bench import PG_ADMIN, _psql, generated_csv  # noqa: E402

SIZES = """
SELECT c.relname, c.reltuples::bigint, pg_table_size(c.oid), pg_indexes_size(c.oid),
       pg_total_relation_size(c.oid)
FROM pg_class c WHERE c.relname IN ('households', 'persons') ORDER BY c.relname
"""
INDEXES = """
SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes
WHERE relname IN ('households', 'persons') ORDER BY relname, indexrelname
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=2_500_000)
    ap.add_argument("--db", default="test_import")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    csv_path, gen_s = generated_csv(args.households, 7)
    size = csv_path.stat().st_size
    if gen_s:
        print(f"generated {csv_path.name} in {gen_s:.0f}s", flush=True)
    _psql(PG_ADMIN, f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
    _psql(PG_ADMIN, f"CREATE DATABASE {args.db}")
    os.environ.update(
        {
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{args.db}",
            "PORTAL_ENV": "development",
            "PORTAL_INSTANCE_PATH": tempfile.mkdtemp(prefix="import-scale-"),
        }
    )
    from flask_migrate import upgrade
    from sqlalchemy import text

    from portal import create_app
    from portal.db import transaction
    from portal.extensions import db
    from portal.regions.loader import load_regions
    from portal.registry.importer import import_snapshot

    app = create_app()
    started = time.perf_counter()
    marks = {"next": 0.1, "t": started, "rows": 0}

    def on_block(report) -> None:
        rows = report.rows_read
        # rows/persons in the file ~ bytes: report each tenth by rows read
        if rows >= marks["next"] * args.households * 3.96:
            now = time.perf_counter()
            rate = (rows - marks["rows"]) / (now - marks["t"])
            print(
                f"  {rows:>11,} rows after {now - started:7.1f}s: {rate:,.0f} rows/s "
                f"over the last tenth",
                flush=True,
            )
            marks.update(next=marks["next"] + 0.1, t=now, rows=rows)

    with app.app_context():
        upgrade()
        with transaction():
            load_regions()
        df0 = subprocess.run(["df", "-h", "/work"], capture_output=True, text=True).stdout
        started = time.perf_counter()
        marks["t"] = started
        report = import_snapshot(csv_path, None, workers=args.workers, on_block=on_block)
        t = report.timings
        print(
            f"{csv_path.name}: {size / 2**30:.2f} GiB, {report.rows_read:,} rows, "
            f"{report.households_new:,} households, {report.persons_written:,} persons in "
            f"{t['wall']:.0f}s = {report.persons_written / t['wall']:,.0f} persons/s; index "
            f"rebuild at the end {t.get('indexes', 0):.0f}s; peak RSS main "
            f"{report.peak_rss_mib['main']:.0f} MiB, worker {report.peak_rss_mib['workers']:.0f}"
            f" MiB; timings { {k: round(v) for k, v in t.items()} }",
            flush=True,
        )
        db.session.execute(text("ANALYZE households; ANALYZE persons"))
        for name, rows, table, indexes, total in db.session.execute(text(SIZES)):
            print(
                f"  {name}: {rows:,} rows, table {table / 2**20:,.0f} MiB, indexes "
                f"{indexes / 2**20:,.0f} MiB, total {total / 2**20:,.0f} MiB "
                f"({total / max(rows, 1):.0f} bytes/row)"
            )
        for name, nbytes in db.session.execute(text(INDEXES)):
            print(f"    {name}: {nbytes / 2**20:,.0f} MiB")
        dbsize = db.session.scalar(text("SELECT pg_database_size(current_database())"))
        print(f"  database {dbsize / 2**20:,.0f} MiB")
        print("df before:", df0.splitlines()[-1])
        print("df after: ", subprocess.run(["df", "-h", "/work"], capture_output=True, text=True)
              .stdout.splitlines()[-1])  # fmt: skip
        db.session.remove()
        db.engine.dispose()
    if not args.keep:
        _psql(PG_ADMIN, f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")


if __name__ == "__main__":
    main()
