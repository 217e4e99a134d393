"""CPU per person of a snapshot import on PostgreSQL, split by process: the
main process (reading, writing), the worker processes (parse, validate,
crypto) and the PostgreSQL backends (from ``/proc/<pid>/stat``). CPU time
moves far less than wall time on a shared machine, so two versions of the
importer can be compared in one sitting:

    git archive f07c161 | tar -x -C /tmp/import-base && ln -s $PWD/.venv /tmp/import-base/
    .venv/bin/python bench/import_cpu.py /tmp/import-base bench/out/snapshot-50k.csv
    .venv/bin/python bench/import_cpu.py . bench/out/snapshot-50k.csv

(``snapshot-50k.csv``: the first 50,000 households of ``snapshot-200000-7.csv``.)
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TICK = os.sysconf("SC_CLK_TCK")


def psql(sql: str) -> str:
    return subprocess.run(
        ["psql", "-Atq", PG_ADMIN, "-c", sql], capture_output=True, text=True, check=True
    ).stdout


def backend_ticks(db: str) -> dict[str, int]:
    out = {}
    for pid in psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{db}'").split():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = int(fields[11]) + int(fields[12])
    return out


def main() -> None:
    root, csv_path = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    db = sys.argv[3] if len(sys.argv) > 3 else "test_import_cpu"
    workers = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    sys.path.insert(0, str(root))
    os.chdir(root)
    psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql(f"CREATE DATABASE {db}")
    os.environ.update(
        DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{db}",
        PORTAL_ENV="development",
        PORTAL_INSTANCE_PATH=tempfile.mkdtemp(prefix="import-cpu-"),
    )
    from flask_migrate import upgrade

    from portal import create_app
    from portal.db import transaction
    from portal.extensions import db as sdb
    from portal.regions.loader import load_regions
    from portal.registry.importer import import_snapshot

    app = create_app()
    with app.app_context():
        upgrade()
        with transaction():
            load_regions()
        before, r0, t0 = backend_ticks(db), resource.getrusage(resource.RUSAGE_SELF), time.time()
        report = import_snapshot(csv_path, None, workers=workers)
        wall = time.time() - t0
        r1, kids = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        pg = sum(t - before.get(p, 0) for p, t in backend_ticks(db).items()) / TICK
        sdb.session.remove()
        sdb.engine.dispose()
    n = report.persons_written
    main_s = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
    work_s = kids.ru_utime + kids.ru_stime
    print(
        f"{root}: {n:,} persons in {wall:.1f}s | CPU µs per person: main {main_s / n * 1e6:.1f}, "
        f"workers {work_s / n * 1e6:.1f}, PostgreSQL {pg / n * 1e6:.1f}, total "
        f"{(main_s + work_s + pg) / n * 1e6:.1f} | timings "
        f"{ {k: round(v, 1) for k, v in report.timings.items()} }"
    )
    psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


if __name__ == "__main__":
    main()
