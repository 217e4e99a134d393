"""``flask dtsen import``: stream a DTSEN snapshot CSV into the registry.

Pipeline (bounded memory, whatever the file size):

1. the main process reads the file as bytes and cuts it into blocks of whole
   households (consecutive lines with the same ``kk_number``), without
   parsing the CSV;
2. worker processes parse, validate and encrypt each block
   (``portal.registry.validation.prepare_block``), a few blocks in flight;
3. the main process writes each prepared block in its own transaction
   (``portal.registry.writers``) and appends rejected rows to the rejects file
   and unknown house-condition values (imported as given) to the warnings file;
4. at the end, households of earlier snapshots that this file no longer holds
   are marked removed (never deleted).

Re-importing the same file changes nothing: a household whose keyed content
digest is unchanged is skipped. An interrupted run leaves every finished block
committed and nothing half-written; running it again completes it. The one
exception is the first load of an empty PostgreSQL registry
(``portal.registry.bulk``): one transaction with its indexes built at the end,
so an interruption leaves the registry empty and a rerun starts over.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import resource
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import current_app
from lokal import wilayah
from sqlalchemy import delete, exists, func, select, update

from portal.db import keyring, transaction
from portal.extensions import db
from portal.regions.models import VILLAGE, Region
from portal.registry import validation
from portal.registry.bulk import BulkLoad
from portal.registry.codes import CodeMap
from portal.registry.models import Household, ImportRun, ImportSeen
from portal.registry.schema import CSV_COLUMNS
from portal.registry.writers import writer_for

Row = validation.Row


class ImportFailed(RuntimeError):
    """The file cannot be imported at all (wrong header, no regions loaded)."""


@dataclass
class ImportReport:
    run_id: int
    rows_read: int = 0
    rows_rejected: int = 0
    #: condition values outside the vocabulary, imported as given (warnings file)
    warnings: int = 0
    codes_mapped: int = 0
    persons_written: int = 0
    households_new: int = 0
    households_changed: int = 0
    households_unchanged: int = 0
    households_removed: int = 0
    #: seconds: read (main), parse, validate and crypto (summed over workers),
    #: write (main), wall
    timings: dict[str, float] = field(default_factory=dict)
    peak_rss_mib: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        wall = self.timings.get("wall", 0.0) or 1e-9
        return (
            f"import #{self.run_id}: {self.rows_read} rows read, {self.rows_rejected} rejected, "
            f"{self.warnings} unknown codes kept as given, {self.codes_mapped} codes mapped; "
            f"households {self.households_new} new, {self.households_changed} changed, "
            f"{self.households_unchanged} unchanged, {self.households_removed} marked removed; "
            f"{self.persons_written} persons written in {wall:.1f}s "
            f"({self.rows_read / wall:,.0f} rows/s)"
        )


def import_snapshot(
    csv_path: Path,
    rejects_path: Path | None,
    *,
    workers: int = 1,
    progress: bool = False,
    batch: int | None = None,
    today: dt.date | None = None,
    warnings_path: Path | None = None,
    codes: CodeMap | None = None,
    on_block: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import ``csv_path``; write rejected rows to ``rejects_path`` and unknown
    condition values (imported as given) to ``warnings_path``. ``codes`` (from
    ``codes.load_codes``) translates a source's condition codes first.
    ``on_block`` is called with the running report after every block written
    (progress for benchmarks; the report's counts are not yet final)."""
    started = time.perf_counter()
    batch = batch or current_app.config["IMPORT_BATCH_HOUSEHOLDS"]
    today = today or dt.date.today()
    _require_regions()
    run = _start_run(csv_path.name)
    report = ImportReport(run_id=run)
    timings = {"read": 0.0, "parse": 0.0, "validate": 0.0, "crypto": 0.0, "write": 0.0}
    try:
        with (
            open(csv_path, "rb") as source,
            _open_rejects(rejects_path) as rejects,
            _CsvOut(warnings_path, WARNING_HEADER) as warnings,
        ):
            _check_header(source.readline())
            bar = _progress_bar(progress, csv_path)
            blocks = _blocks(source, batch, timings)
            load = _bulk_load(run)
            # The first load of an empty PostgreSQL registry is one transaction
            # (portal.registry.bulk); every other import commits block by block.
            with transaction() if load else nullcontext():
                for block, first_line, prepared in _prepare_all(blocks, workers, today, codes):
                    dropped = _write_chunk(
                        block, first_line, prepared, run, report, timings, rejects, load
                    )
                    _write_warnings(prepared, dropped, report, warnings)
                    bar.update(len(block))
                    if on_block is not None:
                        on_block(report)
                if load:
                    t0 = time.perf_counter()
                    load.finish(csv_path, rejects, report)
                    timings["indexes"] = time.perf_counter() - t0
                    report.households_removed = _close_run(run, report)
            bar.render_finish()
        if not load:
            report.households_removed = _finish_run(run, report)
    except BaseException:
        _fail_run(run)
        raise
    timings["wall"] = time.perf_counter() - started
    report.timings = timings
    report.peak_rss_mib = {
        "main": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "workers": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
    return report


# -- reading -------------------------------------------------------------------
def _check_header(raw: bytes) -> None:
    if not raw:
        raise ImportFailed("the file is empty")
    header = next(csv.reader([raw.decode("utf-8-sig")]), [])
    if tuple(h.strip() for h in header) != CSV_COLUMNS:
        raise ImportFailed("unexpected header; expected: " + ",".join(CSV_COLUMNS))


def _records(source) -> Iterator[bytes]:
    """Whole CSV records as bytes: a quoted field may span lines."""
    pending = b""
    for line in source:
        pending += line
        if pending.count(b'"') % 2 == 0:
            yield pending
            pending = b""
    if pending:
        yield pending


def _blocks(source, size: int, timings: dict) -> Iterator[tuple[bytes, int]]:
    """Blocks of about ``size`` whole households, cut where the raw
    ``kk_number`` (the text before the first comma) changes. Yields the block
    and the line number of its first record."""
    parts: list[bytes] = []
    households = 0
    line = 2  # the header is line 1
    first_line = line
    current_kk = None
    t0 = time.perf_counter()
    for record in _records(source):
        kk = record[: record.find(b",")]
        if kk != current_kk:
            if households >= size:
                timings["read"] += time.perf_counter() - t0
                yield b"".join(parts), first_line
                t0 = time.perf_counter()
                parts, households, first_line = [], 0, line
            households += 1
            current_kk = kk
        parts.append(record)
        line += record.count(b"\n") or 1
    timings["read"] += time.perf_counter() - t0
    if parts:
        yield b"".join(parts), first_line


def _known_villages() -> frozenset[str]:
    return frozenset(wilayah._desa())


# -- parsing, validation and encryption, in worker processes ------------------
def _prepare_all(
    blocks: Iterator[tuple[bytes, int]], workers: int, today: dt.date, codes: CodeMap | None
) -> Iterator[tuple[bytes, int, validation.PreparedChunk]]:
    """Yield (block, first line, prepared chunk) in file order, at most
    ``2 × workers`` blocks in flight so memory stays bounded."""
    raw_keys = keyring().to_raw()
    villages = _known_villages()
    today_iso = today.isoformat()
    if workers <= 1:
        validation.init_worker(raw_keys, villages, codes)
        for block, first_line in blocks:
            yield block, first_line, validation.prepare_block(block, first_line, today_iso)
        return
    with ProcessPoolExecutor(
        max_workers=workers,
        initializer=validation.init_worker,
        initargs=(raw_keys, villages, codes),
    ) as pool:
        pending: deque[tuple[bytes, int, Future]] = deque()
        for block, first_line in blocks:
            fut = pool.submit(validation.prepare_block, block, first_line, today_iso)
            pending.append((block, first_line, fut))
            if len(pending) >= 2 * workers:
                block, first_line, fut = pending.popleft()
                yield block, first_line, fut.result()
        while pending:
            block, first_line, fut = pending.popleft()
            yield block, first_line, fut.result()


# -- writing -----------------------------------------------------------------
def _bulk_load(run: int) -> BulkLoad | None:
    """Start the first load of an empty registry on PostgreSQL, else None."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    load = BulkLoad.start(db.session, run)
    if load is None:
        db.session.rollback()  # not empty: release the lock, import block by block
    return load


def _write_chunk(
    block: bytes,
    first_line: int,
    prepared,
    run: int,
    report: ImportReport,
    timings,
    rejects,
    load: BulkLoad | None = None,
) -> frozenset[int]:
    """Write one chunk; return the first lines of the households the writer
    rejected whole (their warnings are not worth reporting)."""
    t0 = time.perf_counter()
    with nullcontext() if load else transaction():
        now = _utcnow()
        writer = load.writer(db.session, now) if load else writer_for(db.session, run, now)
        result = writer.write(prepared)
        report.rows_read += prepared.rows
        report.households_new += result.new
        report.households_changed += result.changed
        report.households_unchanged += result.unchanged
        report.persons_written += result.persons
        _save_progress(run, report)
    timings["write"] += time.perf_counter() - t0
    timings["parse"] += prepared.parse_s
    timings["validate"] += prepared.validate_s
    timings["crypto"] += prepared.crypto_s
    bad = list(prepared.rejects)
    if result.rejects:
        by_line = {
            line: values
            for household in validation.parse_block(block, first_line)
            for line, values in household
        }
        bad += [(line, reason, by_line[line]) for line, reason, _ in result.rejects]
    for line, reason, values in sorted(bad, key=lambda r: r[0]):
        rejects.writerow([line, reason, *values])
    report.rows_rejected += len(bad)
    if not result.rejects:
        return frozenset()
    rejected = {line for line, _, _ in result.rejects}
    return frozenset(
        h.first_line for h in prepared.households if all(p.line in rejected for p in h.persons)
    )


def _save_progress(run: int, report: ImportReport) -> None:
    db.session.execute(
        update(ImportRun)
        .where(ImportRun.id == run)
        .values(
            rows_read=report.rows_read,
            rows_rejected=report.rows_rejected,
            households_new=report.households_new,
            households_changed=report.households_changed,
            households_unchanged=report.households_unchanged,
        )
    )


def _write_warnings(
    prepared, dropped: frozenset[int], report: ImportReport, warnings: _CsvOut
) -> None:
    for line, column, value in prepared.warnings:
        if line not in dropped:
            warnings.writerow([line, column, _inert(value)])
            report.warnings += 1
    report.codes_mapped += prepared.codes_mapped


def _inert(value: str) -> str:
    """A value a spreadsheet opening the warnings file will not run as a
    formula (``=…``, ``+…``, ``@…``): prefixed with ``'``. Numbers stay as they are."""
    if value[:1] in ("=", "+", "@") or (value[:1] == "-" and not value[1:].isdigit()):
        return "'" + value
    return value


WARNING_HEADER = ("line", "column", "value")


class _CsvOut:
    """CSV writer for rejected rows or warnings, created readable by the owner
    only (rejected rows hold personal data)."""

    def __init__(self, path: Path | None, header=("line", "reason", *CSV_COLUMNS)) -> None:
        self.path = path
        self.header = header
        self.fh = None
        self.writer = None

    def __enter__(self):
        if self.path is not None:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            self.fh = os.fdopen(fd, "w", newline="", encoding="utf-8")
            self.writer = csv.writer(self.fh, lineterminator="\n")
            self.writer.writerow(self.header)
        return self

    def writerow(self, row: list) -> None:
        if self.writer is not None:
            self.writer.writerow(row)

    def __exit__(self, *exc) -> None:
        if self.fh is not None:
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()


def _open_rejects(path: Path | None) -> _CsvOut:
    return _CsvOut(path)


# -- run bookkeeping ---------------------------------------------------------
def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _require_regions() -> None:
    count = db.session.scalar(
        select(func.count()).select_from(Region).where(Region.level == VILLAGE)
    )
    if not count:
        raise ImportFailed("no villages in the database: run `flask regions load` first")


def _start_run(source_name: str) -> int:
    """Close the books on interrupted runs (their chunks stay committed),
    then open a new run."""
    with transaction():
        # One import at a time: whatever another run left behind is stale.
        db.session.execute(delete(ImportSeen))
        db.session.execute(
            update(ImportRun).where(ImportRun.status == "running").values(status="failed")
        )
        run = ImportRun(
            source_name=source_name[:255],
            started_at=_utcnow(),
            status="running",
            rows_read=0,
            rows_rejected=0,
            households_new=0,
            households_changed=0,
            households_unchanged=0,
            households_removed=0,
        )
        db.session.add(run)
        db.session.flush()
        return run.id


def _finish_run(run: int, report: ImportReport) -> int:
    with transaction():
        return _close_run(run, report)


def _close_run(run: int, report: ImportReport) -> int:
    """Mark households absent from this snapshot removed; close the run."""
    seen = exists().where(ImportSeen.run_id == run, ImportSeen.household_id == Household.id)
    removed = db.session.execute(
        update(Household)
        .where(Household.removed_at.is_(None), ~seen)
        .values(removed_at=_utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(delete(ImportSeen).where(ImportSeen.run_id == run))
    _save_progress(run, report)
    db.session.execute(
        update(ImportRun)
        .where(ImportRun.id == run)
        .values(
            status="finished",
            finished_at=_utcnow(),
            households_removed=removed,
            rows_rejected=report.rows_rejected,
        )
    )
    return removed


def _fail_run(run: int) -> None:
    db.session.rollback()
    with transaction():
        db.session.execute(update(ImportRun).where(ImportRun.id == run).values(status="failed"))


class _NoBar:
    def update(self, _n: int) -> None:
        pass

    def render_finish(self) -> None:
        pass


def _progress_bar(enabled: bool, path: Path):
    if not enabled:
        return _NoBar()
    bar = click.progressbar(length=path.stat().st_size, label="importing", show_pos=False)
    bar.render_progress()
    return bar
