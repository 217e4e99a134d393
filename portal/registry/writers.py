"""Writing prepared households to the database, one chunk per transaction.

The rules are the same on both backends (``ChunkWriter.write``); only the
bulk operations differ: SQLite uses batched ``executemany`` on the raw
connection, PostgreSQL ``COPY`` into a temporary staging table followed by
set-based ``INSERT … SELECT`` / ``UPDATE … FROM``. Statements go straight to
the driver: at a few hundred thousand rows per second, compiling SQLAlchemy
statements for every chunk would cost more than the writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from portal.registry.models import CONDITION_COLUMNS
from portal.registry.validation import PreparedChunk, PreparedHousehold, PreparedPerson

HOUSEHOLD_COLS = (
    "kk_index",
    "kk_enc",
    "village_code",
    "address_enc",
    "desil",
    "programs",
    *CONDITION_COLUMNS,
    "data_as_of",
    "content_digest",
    "removed_at",
    "changed_at",
)
PERSON_COLS = (
    "nik_index",
    "identity_enc",
    "relationship",
    "sex",
    "data_updated_at",
)
IN_CHUNK = 500  # bound parameters per IN (...) query on SQLite
STALE = bytes(32)  # a digest no real content has


@dataclass
class ChunkResult:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    persons: int = 0
    rejects: list[tuple[int, str, None]] = field(default_factory=list)


class ChunkWriter:
    """Applies one prepared chunk inside the caller's transaction."""

    #: True for the first load of an empty registry (``portal.registry.bulk``):
    #: nothing to look up, repeats across blocks are settled at the end.
    bulk = False

    def __init__(self, session: Session, run_id: int, now: dt.datetime) -> None:
        self.session = session
        self.run_id = run_id
        self.now = now
        self.cursor = session.connection().connection.driver_connection.cursor()

    # -- the rules -----------------------------------------------------------
    def write(self, chunk: PreparedChunk) -> ChunkResult:
        result = ChunkResult()
        existing = {
            bytes(kk): (hid, bytes(digest), removed)
            for kk, hid, digest, removed in self.select_in(
                "SELECT kk_index, id, content_digest, removed_at FROM households "
                "WHERE kk_index {keys}",
                [] if self.bulk else [h.kk_index for h in chunk.households],
            )
        }
        households = self._drop_repeated_households(chunk.households, existing, result)
        new: list[PreparedHousehold] = []
        changed: list[tuple[int, PreparedHousehold]] = []
        ids: dict[bytes, int] = {}
        for h in households:
            found = existing.get(h.kk_index)
            if found is None:
                new.append(h)
                continue
            ids[h.kk_index] = found[0]
            if found[1] != h.content_digest or found[2] is not None:
                changed.append((found[0], h))
            else:
                result.unchanged += 1
        members = self._resolve_nik_conflicts(new + [h for _, h in changed], changed, result)
        # A household whose every row was rejected is not imported at all.
        new = [h for h in new if members[h.kk_index]]
        changed = [(hid, h) for hid, h in changed if members[h.kk_index]]
        households = [h for h in households if members.get(h.kk_index, True)]
        if changed:
            self.update_households(changed)
            self.delete_in("persons", "household_id", [hid for hid, _ in changed])
        if new:
            ids.update(self.insert_households(new))
        todo = new + [h for _, h in changed]
        if todo:
            result.persons = self.insert_persons(todo, members, ids)
        self.mark_seen([(self.run_id, ids[h.kk_index], h.first_line) for h in households])
        result.new, result.changed = len(new), len(changed)
        return result

    def _seen_lines(self, household_ids: list[int]) -> dict[int, int]:
        """First line of the households already imported by this run."""
        return dict(
            self.select_in(
                "SELECT household_id, first_line FROM import_seen WHERE run_id = {run} "
                "AND household_id {keys}",
                household_ids,
            )
        )

    def _drop_repeated_households(
        self, households: list[PreparedHousehold], existing: dict, result: ChunkResult
    ) -> list[PreparedHousehold]:
        """A kk_number already seen earlier in this run means its rows were not
        consecutive: reject the later rows rather than overwrite the household.
        A household imported earlier in the run exists by now, so only
        existing households need looking up."""
        seen = self._seen_lines([found[0] for found in existing.values()])
        earlier = {kk: seen[found[0]] for kk, found in existing.items() if found[0] in seen}
        kept = []
        for h in households:
            first = earlier.get(h.kk_index)
            if first is None:
                earlier[h.kk_index] = h.first_line
                kept.append(h)
                continue
            reason = (
                f"kk_number: already seen at line {first}; rows of one household must be "
                "consecutive"
            )
            result.rejects.extend((p.line, reason, None) for p in h.persons)
        return kept

    def _resolve_nik_conflicts(
        self,
        todo: list[PreparedHousehold],
        changed: list[tuple[int, PreparedHousehold]],
        result: ChunkResult,
    ) -> dict[bytes, list[PreparedPerson]]:
        """The members to write per household (by kk_index).

        A NIK may already belong to another household. If that household was
        imported earlier in this run, the NIK appears twice in the file:
        reject the later row. Otherwise the person moved since the last
        snapshot: their old row goes, and the household they left is marked
        stale so its own rows, when they arrive, rewrite it.
        """
        replaced = {hid for hid, _ in changed}
        first_line: dict[bytes, int] = {}
        members: dict[bytes, list[PreparedPerson]] = {}
        for h in todo:
            kept = []
            for p in h.persons:
                if p.nik_index in first_line:
                    first = first_line[p.nik_index]
                    reason = f"nik: already imported earlier in this file (line {first})"
                    result.rejects.append((p.line, reason, None))
                    continue
                first_line[p.nik_index] = p.line
                kept.append(p)
            members[h.kk_index] = kept
        if self.bulk:
            return members
        conflicts = [
            row
            for row in self.select_in(
                "SELECT nik_index, id, household_id FROM persons WHERE nik_index {keys}",
                list(first_line),
            )
            if row[2] not in replaced
        ]
        if not conflicts:
            return members
        seen = self._seen_lines(sorted({c[2] for c in conflicts}))
        taken = {bytes(c[0]) for c in conflicts if c[2] in seen}
        stale = [c for c in conflicts if c[2] not in seen]
        if taken:
            for kk, persons in members.items():
                members[kk] = [p for p in persons if p.nik_index not in taken]
                result.rejects.extend(
                    (p.line, "nik: already imported earlier in this file", None)
                    for p in persons
                    if p.nik_index in taken
                )
        if stale:
            self.delete_in("persons", "id", [c[1] for c in stale])
            self.mark_stale(sorted({c[2] for c in stale}))
        return members

    def household_row(self, h: PreparedHousehold, changed_at) -> tuple:
        return (
            h.kk_index,
            h.kk_enc,
            h.village_code,
            h.address_enc,
            h.desil,
            h.programs,
            h.floor_area_m2,
            *h.conditions,
            h.data_as_of,
            h.content_digest,
            None,
            changed_at,
        )

    # -- driver operations, per backend --------------------------------------
    def select_in(self, sql: str, keys: list) -> Iterable:
        """Run ``sql`` with ``{keys}`` standing for "is one of ``keys``" and
        ``{run}`` for this run's id (an integer we made, not input)."""
        raise NotImplementedError

    def delete_in(self, table: str, column: str, keys: list) -> None:
        raise NotImplementedError

    def mark_stale(self, household_ids: list[int]) -> None:
        raise NotImplementedError

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        raise NotImplementedError

    def mark_seen(self, rows: list[tuple[int, int, int]]) -> None:
        """Record (run, household id, first line) for every household written."""
        self.executemany(
            "INSERT INTO import_seen (run_id, household_id, first_line) VALUES (?, ?, ?)", rows
        )

    def insert_households(self, households: list[PreparedHousehold]) -> dict[bytes, int]:
        """Insert new households; return their ids by kk_index."""
        raise NotImplementedError

    def update_households(self, changed: list[tuple[int, PreparedHousehold]]) -> None:
        raise NotImplementedError

    def insert_persons(
        self,
        households: list[PreparedHousehold],
        members: dict[bytes, list[PreparedPerson]],
        ids: dict[bytes, int],
    ) -> int:
        raise NotImplementedError


def _person_row(household_ref, p: PreparedPerson) -> tuple:
    return (
        household_ref,
        p.nik_index,
        p.identity_enc,
        p.relationship,
        p.sex,
        p.data_updated_at,
    )


class SqliteChunkWriter(ChunkWriter):
    def __init__(self, session: Session, run_id: int, now: dt.datetime) -> None:
        super().__init__(session, run_id, now)
        # Index pages stay in memory across the chunk (random blind-index keys).
        self.cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB
        # Checkpoint the WAL every ~256 MiB rather than every 4 MiB: random
        # index pages are then copied back once per many chunks, not per chunk.
        self.cursor.execute("PRAGMA wal_autocheckpoint = 65536")

    def _now(self) -> str:
        return self.now.strftime("%Y-%m-%d %H:%M:%S.%f")

    def select_in(self, sql, keys):
        for i in range(0, len(keys), IN_CHUNK):
            part = keys[i : i + IN_CHUNK]
            marks = ",".join("?" * len(part))
            query = sql.format(keys=f"IN ({marks})", run=int(self.run_id))
            yield from self.cursor.execute(query, part).fetchall()

    def delete_in(self, table, column, keys):
        for i in range(0, len(keys), IN_CHUNK):
            part = keys[i : i + IN_CHUNK]
            marks = ",".join("?" * len(part))
            self.cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", part)  # noqa: S608 # nosec B608

    def mark_stale(self, household_ids):
        self.cursor.executemany(
            "UPDATE households SET content_digest = ? WHERE id = ?",
            [(STALE, hid) for hid in household_ids],
        )

    def executemany(self, sql, rows):
        self.cursor.executemany(sql, rows)

    def insert_households(self, households):
        now = self._now()
        cols = ", ".join(HOUSEHOLD_COLS)
        marks = ", ".join("?" * len(HOUSEHOLD_COLS))
        self.cursor.executemany(
            f"INSERT INTO households ({cols}) VALUES ({marks})",  # noqa: S608 - fixed names  # nosec B608
            [self.household_row(h, now) for h in households],
        )
        return {
            bytes(kk): hid
            for kk, hid in self.select_in(
                "SELECT kk_index, id FROM households WHERE kk_index {keys}",
                [h.kk_index for h in households],
            )
        }

    def update_households(self, changed):
        now = self._now()
        sets = ", ".join(f"{c} = ?" for c in HOUSEHOLD_COLS[1:])
        self.cursor.executemany(
            f"UPDATE households SET {sets} WHERE id = ?",  # noqa: S608 - fixed names  # nosec B608
            [(*self.household_row(h, now)[1:], hid) for hid, h in changed],
        )

    def insert_persons(self, households, members, ids):
        rows = [_person_row(ids[h.kk_index], p) for h in households for p in members[h.kk_index]]
        cols = ", ".join(("household_id", *PERSON_COLS))
        marks = ", ".join("?" * (len(PERSON_COLS) + 1))
        self.cursor.executemany(f"INSERT INTO persons ({cols}) VALUES ({marks})", rows)  # noqa: S608 # nosec B608
        return len(rows)


#: Binary COPY types of HOUSEHOLD_COLS (no per-value text escaping).
_PG_HOUSEHOLD_TYPES = (
    "bytea",
    "bytea",
    "text",
    "bytea",
    "int2",
    "text",
    "int4",
    *("text",) * (len(CONDITION_COLUMNS) - 1),
    "date",
    "bytea",
    "timestamptz",
    "timestamptz",
)
_PG_PERSON_TYPES = ("int8", "bytea", "bytea", "text", "text", "date")
_AS_OF = HOUSEHOLD_COLS.index("data_as_of")


class PostgresChunkWriter(ChunkWriter):
    """Binary COPY into temporary staging tables, then set-based statements.
    Key lists travel as binary arrays: psycopg's text dumping of a few
    thousand ``bytea`` values per query cost more than the query."""

    def __init__(self, session: Session, run_id: int, now: dt.datetime) -> None:
        super().__init__(session, run_id, now)
        # The import is idempotent: a chunk lost to a crash right after its
        # commit is simply written again by the next run, so this one
        # transaction need not wait for its WAL flush.
        self.cursor.execute("SET LOCAL synchronous_commit TO OFF")

    def select_in(self, sql, keys):
        if not keys:
            return []
        query = sql.format(keys="= ANY(%b)", run=int(self.run_id))
        return self.cursor.execute(query, (keys,), binary=True).fetchall()

    def delete_in(self, table, column, keys):
        if keys:
            self.cursor.execute(
                f"DELETE FROM {table} WHERE {column} = ANY(%b)",  # noqa: S608 - fixed names  # nosec B608
                (keys,),
                binary=True,
            )

    def mark_stale(self, household_ids):
        self.cursor.execute(
            "UPDATE households SET content_digest = %s WHERE id = ANY(%s)",
            (STALE, household_ids),
        )

    def executemany(self, sql, rows):
        self.cursor.executemany(sql.replace("?", "%s"), rows)

    def mark_seen(self, rows: list[tuple[int, int, int]]) -> None:
        with self.cursor.copy(
            "COPY import_seen (run_id, household_id, first_line) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int8", "int8", "int4"])
            for row in rows:
                copy.write_row(row)

    household_types = _PG_HOUSEHOLD_TYPES

    def household_copy_row(self, h: PreparedHousehold) -> list:
        row = list(self.household_row(h, self.now))
        row[_AS_OF] = dt.date.fromisoformat(row[_AS_OF])
        return row

    def _stage_households(self, households, ids: list[int] | None = None) -> None:
        cur = self.cursor
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS stage_households "
            "(LIKE households INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cols = ("id", *HOUSEHOLD_COLS) if ids is not None else HOUSEHOLD_COLS
        types = ("int8", *_PG_HOUSEHOLD_TYPES) if ids is not None else _PG_HOUSEHOLD_TYPES
        sql = f"COPY stage_households ({', '.join(cols)}) FROM STDIN (FORMAT BINARY)"
        with cur.copy(sql) as copy:
            copy.set_types(list(types))
            for i, h in enumerate(households):
                row = self.household_copy_row(h)
                copy.write_row((ids[i], *row) if ids is not None else row)

    def insert_households(self, households):
        self._stage_households(households)
        cols = ", ".join(HOUSEHOLD_COLS)
        rows = self.cursor.execute(
            f"INSERT INTO households ({cols}) SELECT {cols} FROM stage_households "  # noqa: S608 # nosec B608
            "RETURNING kk_index, id"
        ).fetchall()
        self.cursor.execute("TRUNCATE stage_households")
        return {bytes(kk): hid for kk, hid in rows}

    def update_households(self, changed):
        self._stage_households([h for _, h in changed], [hid for hid, _ in changed])
        sets = ", ".join(f"{c} = s.{c}" for c in HOUSEHOLD_COLS[1:])
        self.cursor.execute(
            f"UPDATE households h SET {sets} FROM stage_households s WHERE h.id = s.id"  # noqa: S608 # nosec B608
        )
        self.cursor.execute("TRUNCATE stage_households")

    def insert_persons(self, households, members, ids):
        cur = self.cursor
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS stage_persons (household_id bigint, nik_index bytea, "
            "identity_enc bytea, relationship text, "
            "sex text, data_updated_at date) ON COMMIT DELETE ROWS"
        )
        count = self.copy_persons("stage_persons", households, members, ids)
        cols = ", ".join(("household_id", *PERSON_COLS))
        cur.execute(f"INSERT INTO persons ({cols}) SELECT {cols} FROM stage_persons")  # noqa: S608 # nosec B608
        cur.execute("TRUNCATE stage_persons")
        return count

    def copy_persons(self, table: str, households, members, ids) -> int:
        """COPY the members of ``households`` into ``table``; return how many."""
        count = 0
        cols = ", ".join(("household_id", *PERSON_COLS))
        with self.cursor.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(list(_PG_PERSON_TYPES))
            date = dt.date.fromisoformat
            for h in households:
                hid = ids[h.kk_index]
                for p in members[h.kk_index]:
                    copy.write_row(
                        (
                            hid,
                            p.nik_index,
                            p.identity_enc,
                            p.relationship,
                            p.sex,
                            date(p.data_updated_at),
                        )
                    )
                    count += 1
        return count


def writer_for(session: Session, run_id: int, now: dt.datetime) -> ChunkWriter:
    dialect = session.get_bind().dialect.name
    cls = PostgresChunkWriter if dialect == "postgresql" else SqliteChunkWriter
    return cls(session, run_id, now)
