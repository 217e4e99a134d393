"""The first load of an empty registry on PostgreSQL, with indexes built after.

Inserting millions of random 128-bit blind-index keys into unique B-trees
costs one random index page per row, and once an index outgrows the buffer
cache each of those is a read and a write. Sorting the keys once at the end
(``CREATE UNIQUE INDEX``) is several times cheaper; the per-row foreign-key
checks (one lookup per person and household) likewise become one join.

So when ``households`` is empty at the start of a run, the import:

1. takes both registry tables (``LOCK … ACCESS EXCLUSIVE``: lookups wait
   until the first load commits — it must run before the portal opens),
   notes and drops their secondary indexes, unique constraints and the
   foreign keys pointing at them (read from the catalog, so an index added
   by a later migration is handled too; foreign keys to other tables such as
   ``regions`` stay, so nothing else is locked);
2. COPYs every block straight into the tables, with household ids counted
   here (no staging table, no per-block key lookups);
3. at the end rebuilds each constraint; when a unique constraint fails (a
   ``kk_number`` or NIK the file holds twice), it finds the repeats with one
   ``GROUP BY`` on the table itself, keeps the first in file order, rejects the
   later rows exactly as a block-by-block import would, and builds it again.

Everything happens in ONE transaction: an interrupted first load leaves the
registry empty and every index in place, and running it again starts over.
Later imports (a registry that is not empty) commit block by block as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from psycopg import errors

from portal.registry import validation
from portal.registry.writers import HOUSEHOLD_COLS, PostgresChunkWriter

TABLES = ("households", "persons", "import_seen")
#: Sorting a few million 16-byte keys in memory rather than in temp files.
MAINTENANCE_WORK_MEM = "256MB"


@dataclass
class Deferred:
    """One constraint or index dropped for the load, with how to rebuild it."""

    table: str
    name: str
    create: str
    drop: str
    unique: bool = False


@dataclass
class BulkLoad:
    cursor: object
    run_id: int
    next_household: int
    deferred: list[Deferred] = field(default_factory=list)

    @classmethod
    def start(cls, session, run_id: int) -> BulkLoad | None:
        """Lock the registry; if it is empty, drop its deferred constraints and
        return the bulk load, else ``None`` (the caller commits the lock away)."""
        cur = session.connection().connection.driver_connection.cursor()
        cur.execute("LOCK TABLE households, persons IN ACCESS EXCLUSIVE MODE")
        if cur.execute("SELECT EXISTS (SELECT 1 FROM households)").fetchone()[0]:
            return None
        cur.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        first = cur.execute("SELECT nextval(pg_get_serial_sequence('households', 'id'))")
        load = cls(cur, run_id, first.fetchone()[0], _deferred(cur))
        for d in load.deferred:
            cur.execute(d.drop)
        return load

    def writer(self, session, now) -> BulkChunkWriter:
        return BulkChunkWriter(session, self.run_id, now, self)

    def finish(self, csv_path: Path, rejects, report) -> None:
        """Rebuild every constraint; reject repeats that stop a unique one."""
        cur = self.cursor
        resolve = {"households": self._repeated_households, "persons": self._repeated_persons}
        # Unique constraints first, households before persons (a repeated
        # household's rows go before their NIKs are compared), then the rest.
        order = sorted(self.deferred, key=lambda d: (not d.unique, TABLES.index(d.table)))
        for d in order:
            cur.execute("SAVEPOINT bulk_constraint")
            try:
                cur.execute(d.create)
            except errors.UniqueViolation:
                cur.execute("ROLLBACK TO SAVEPOINT bulk_constraint")
                if d.table not in resolve:
                    raise
                resolve[d.table](csv_path, rejects, report)
                cur.execute(d.create)
            cur.execute("RELEASE SAVEPOINT bulk_constraint")
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('households', 'id'), %s, false)",
            (self.next_household,),
        )

    # -- repeats, found only when a unique constraint fails --------------------
    def _repeated_households(self, csv_path: Path, rejects, report) -> None:
        """A kk_number whose rows were not consecutive: the later households go."""
        rows = self.cursor.execute(
            "SELECT h.kk_index, h.id, s.first_line FROM households h "
            "JOIN import_seen s ON s.run_id = %s AND s.household_id = h.id "
            "WHERE h.kk_index IN (SELECT kk_index FROM households GROUP BY kk_index "
            "HAVING count(*) > 1) ORDER BY h.kk_index, s.first_line",
            (self.run_id,),
        ).fetchall()
        first: dict[bytes, int] = {}
        later: dict[int, tuple[int, str]] = {}  # household id -> (first line, reason)
        for kk, hid, line in rows:
            if bytes(kk) not in first:
                first[bytes(kk)] = line
                continue
            reason = (
                f"kk_number: already seen at line {first[bytes(kk)]}; rows of one household "
                "must be consecutive"
            )
            later[hid] = (line, reason)
        members = self.cursor.execute(
            "SELECT household_id, nik_index FROM persons WHERE household_id = ANY(%s)",
            (list(later),),
        ).fetchall()
        found = _rows_of(csv_path, {line for line, _ in later.values()})
        bad = []
        for hid, nik_index in members:
            line, reason = later[hid]
            row_line, values = found[line][bytes(nik_index)]
            bad.append((row_line, reason, values))
        self._drop_households(list(later), report)
        report.persons_written -= len(members)
        _write_rejects(bad, rejects, report)

    def _repeated_persons(self, csv_path: Path, rejects, report) -> None:
        """A NIK in two households: the later row goes (lowest id = first in file)."""
        rows = self.cursor.execute(
            "SELECT p.nik_index, p.id, p.household_id, s.first_line FROM persons p "
            "JOIN import_seen s ON s.run_id = %s AND s.household_id = p.household_id "
            "WHERE p.nik_index IN (SELECT nik_index FROM persons GROUP BY nik_index "
            "HAVING count(*) > 1) ORDER BY p.nik_index, p.id",
            (self.run_id,),
        ).fetchall()
        found = _rows_of(csv_path, {first_line for *_, first_line in rows})
        kept: dict[bytes, int] = {}
        drop, households, bad = [], set(), []
        for nik_index, pid, hid, first_line in rows:
            key = bytes(nik_index)
            line, values = found[first_line][key]
            if key not in kept:
                kept[key] = line
                continue
            reason = f"nik: already imported earlier in this file (line {kept[key]})"
            bad.append((line, reason, values))
            drop.append(pid)
            households.add(hid)
        self.cursor.execute("DELETE FROM persons WHERE id = ANY(%s)", (drop,))
        report.persons_written -= len(drop)
        left = dict(
            self.cursor.execute(
                "SELECT household_id, count(*) FROM persons WHERE household_id = ANY(%s) "
                "GROUP BY household_id",
                (sorted(households),),
            ).fetchall()
        )
        # A household whose every row was rejected is not imported at all.
        self._drop_households([hid for hid in households if not left.get(hid)], report)
        _write_rejects(bad, rejects, report)

    def _drop_households(self, ids: list[int], report) -> None:
        if not ids:
            return
        cur = self.cursor
        cur.execute("DELETE FROM persons WHERE household_id = ANY(%s)", (ids,))
        cur.execute("DELETE FROM import_seen WHERE household_id = ANY(%s)", (ids,))
        cur.execute("DELETE FROM households WHERE id = ANY(%s)", (ids,))
        report.households_new -= len(ids)


class BulkChunkWriter(PostgresChunkWriter):
    """Writes a block straight into the tables: nothing to look up (the
    registry was empty; repeats are settled by ``BulkLoad.finish``)."""

    bulk = True

    def __init__(self, session, run_id, now, load: BulkLoad) -> None:
        super().__init__(session, run_id, now)
        self.load = load

    def insert_households(self, households):
        ids = {}
        cols = ", ".join(("id", *HOUSEHOLD_COLS))
        with self.cursor.copy(f"COPY households ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int8", *self.household_types])
            for h in households:
                hid = self.load.next_household
                self.load.next_household += 1
                ids[h.kk_index] = hid
                copy.write_row((hid, *self.household_copy_row(h)))
        return ids

    def insert_persons(self, households, members, ids):
        return self.copy_persons("persons", households, members, ids)


def _deferred(cur) -> list[Deferred]:
    """Every constraint and index of the registry tables except primary keys."""
    out = []
    for table, name, contype, definition in cur.execute(
        "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND (contype = 'u' "
        "OR (contype = 'f' AND confrelid = ANY(%s::regclass[])))",
        (list(TABLES), ["households", "persons"]),
    ).fetchall():
        if table == "import_seen" and contype == "u":
            continue
        out.append(
            Deferred(
                table,
                name,
                f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}',
                f'ALTER TABLE {table} DROP CONSTRAINT "{name}"',
                unique=contype == "u",
            )
        )
    for table, name, definition in cur.execute(
        "SELECT i.indrelid::regclass::text, c.relname, pg_get_indexdef(i.indexrelid) "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
        (["households", "persons"],),
    ).fetchall():
        out.append(Deferred(table, name, definition, f'DROP INDEX "{name}"'))
    return out


def _records_from(csv_path: Path) -> Iterator[tuple[int, bytes]]:
    """(line, record) of every CSV record after the header."""
    from portal.registry.importer import _records

    with open(csv_path, "rb") as source:
        source.readline()
        line = 2
        for record in _records(source):
            yield line, record
            line += record.count(b"\n") or 1


def _rows_of(csv_path: Path, first_lines: set[int]) -> dict[int, dict[bytes, tuple]]:
    """For the households starting at ``first_lines``: nik_index -> (line,
    values) of their rows, read again from the file (only when a repeat was
    found, so the load itself keeps nothing per row)."""
    from portal.db import keyring

    ring = keyring()
    blocks: dict[int, list[bytes]] = {}
    current, kk = None, None
    for line, record in _records_from(csv_path):
        this_kk = record[: record.find(b",")]
        if current is not None and this_kk == kk:
            blocks[current].append(record)
            continue
        current, kk = (line, this_kk) if line in first_lines else (None, None)
        if current is not None:
            blocks[current] = [record]
    out: dict[int, dict[bytes, tuple]] = {}
    nik = validation.COL["nik"]
    for first, records in blocks.items():
        rows = out.setdefault(first, {})
        for household in validation.parse_block(b"".join(records), first):
            for line, values in household:
                if len(values) > nik:
                    rows.setdefault(ring.nik_index(values[nik]), (line, values))
    return out


def _write_rejects(bad: list, rejects, report) -> None:
    for line, reason, values in sorted(bad, key=lambda r: r[0]):
        rejects.writerow([line, reason, *values])
    report.rows_rejected += len(bad)
