"""Snapshot import benchmark (issue 2, PERFORMANCE.md "snapshot import").

Generates (or reuses) a synthetic snapshot, then per backend measures in the
same run:

* the reference: a raw bulk load of the same CSV into a bare table
  (``sqlite3 .import`` / PostgreSQL ``COPY``), no validation, no crypto;
* the portal import (``import_snapshot``) into a freshly migrated database
  with regions loaded: validation, HMAC, AES-GCM, upsert logic included.

Prints persons/s, the ratio to the raw load, the split of time between
parsing, validation, crypto and writes, and peak memory of the main process
and of the worker processes.

    .venv/bin/python bench/import_bench.py --households 1000000 --backend both --keep
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "portal_bench"
#: With --keep the imported registry stays for bench/lookup_bench.py.
KEEP_DB = "portal_lookup"


def generated_csv(households: int, seed: int) -> tuple[Path, float | None]:
    path = OUT / f"snapshot-{households}-{seed}.csv"
    if path.exists():
        return path, None
    sys.path.insert(0, str(ROOT))
    from portal.registry.synthetic import generate_csv

    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    generate_csv(path, households=households, seed=seed)
    return path, time.perf_counter() - t0


def count_rows(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh) - 1


# -- the references ------------------------------------------------------------
def raw_sqlite(csv_path: Path, workdir: Path) -> float:
    db = workdir / "bare.db"
    script = (
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n"
        ".mode csv\n"
        f".import --skip 1 {csv_path} bare\n"
    )
    header = csv_path.open().readline().strip().split(",")
    create = f"CREATE TABLE bare ({', '.join(c + ' TEXT' for c in header)});\n"
    t0 = time.perf_counter()
    subprocess.run(["sqlite3", str(db)], input=create + script, text=True, check=True)
    return time.perf_counter() - t0


def _psql(url: str, sql: str) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True)


def fresh_pg_database(name: str) -> str:
    _psql(PG_ADMIN, f"DROP DATABASE IF EXISTS {name}")
    _psql(PG_ADMIN, f"CREATE DATABASE {name}")
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def raw_postgres(csv_path: Path, url: str) -> float:
    header = csv_path.open().readline().strip().split(",")
    _psql(url, f"CREATE TABLE bare ({', '.join(c + ' text' for c in header)})")
    t0 = time.perf_counter()
    _psql(url, f"\\copy bare FROM '{csv_path}' WITH (FORMAT csv, HEADER true)")
    return time.perf_counter() - t0


# -- the portal import, in a child process with its own environment -------------
def portal_import(csv_path: Path, env_extra: dict, workers: int) -> dict:
    env = {**os.environ, **env_extra, "PORTAL_ENV": "development"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(csv_path), "--workers", str(workers)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(csv_path: Path, workers: int) -> None:
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from portal import create_app
    from portal.db import transaction
    from portal.regions.loader import load_regions
    from portal.registry.importer import import_snapshot

    app = create_app()
    with app.app_context():
        upgrade()
        with transaction():
            load_regions()
        report = import_snapshot(csv_path, csv_path.parent / "bench.rejects.csv", workers=workers)
    print(
        json.dumps(
            {
                "rows": report.rows_read,
                "rejected": report.rows_rejected,
                "persons": report.persons_written,
                "timings": report.timings,
                "peak_rss_mib": report.peak_rss_mib,
            }
        )
    )


def report(backend: str, rows: int, raw_s: float, res: dict) -> str:
    t = res["timings"]
    raw_rate = rows / raw_s
    rate = res["persons"] / t["wall"]
    return (
        f"[{backend}] raw load {raw_rate:,.0f} rows/s ({raw_s:.1f}s) | portal import "
        f"{rate:,.0f} persons/s ({t['wall']:.1f}s) = {rate / raw_rate:.2f}x raw | "
        f"time: parse {t['parse']:.1f}s, validate {t['validate']:.1f}s and crypto "
        f"{t['crypto']:.1f}s (CPU in workers), write {t['write']:.1f}s | peak RSS main "
        f"{res['peak_rss_mib']['main']:.0f} MiB, largest worker "
        f"{res['peak_rss_mib']['workers']:.0f} MiB | rejected {res['rejected']}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--child")
    ap.add_argument("--keep", action="store_true", help="keep the registry for lookup_bench")
    ap.add_argument("--pg-db", default=PG_DB, help="database to (re)create on the shared server")
    args = ap.parse_args()
    if args.child:
        child(Path(args.child), args.workers)
        return

    csv_path, gen_s = generated_csv(args.households, args.seed)
    rows = count_rows(csv_path)
    size_mib = csv_path.stat().st_size / 2**20
    print(f"snapshot: {args.households:,} households, {rows:,} persons, {size_mib:.0f} MiB")
    if gen_s is not None:
        print(f"generated in {gen_s:.1f}s ({args.households / gen_s:,.0f} households/s)")
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(dir=OUT) as tmp:
            raw_s = raw_sqlite(csv_path, Path(tmp))
            target = OUT / "lookup-sqlite" if args.keep else Path(tmp)
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            res = portal_import(csv_path, {"PORTAL_INSTANCE_PATH": str(target)}, args.workers)
            print(report("sqlite", rows, raw_s, res), flush=True)
    if args.backend in ("postgresql", "both"):
        with tempfile.TemporaryDirectory(dir=OUT) as tmp:
            url = fresh_pg_database(args.pg_db)
            raw_s = raw_postgres(csv_path, url)
            if args.keep:
                _psql(PG_ADMIN, f"DROP DATABASE IF EXISTS {args.pg_db}")
                url = fresh_pg_database(KEEP_DB)
            target = OUT / "lookup-postgresql" if args.keep else Path(tmp)
            target.mkdir(parents=True, exist_ok=True)
            res = portal_import(
                csv_path, {"PORTAL_INSTANCE_PATH": str(target), "DATABASE_URL": url}, args.workers
            )
            print(report("postgresql", rows, raw_s, res), flush=True)
            _psql(PG_ADMIN, f"DROP DATABASE IF EXISTS {args.pg_db}")


if __name__ == "__main__":
    main()
