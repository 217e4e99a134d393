"""Writing prepared households to the database, one chunk per transaction.

The rules are the same on both backends (``ChunkWriter.write``); only the
bulk operations differ: SQLite uses batched ``executemany`` on the raw
connection, PostgreSQL ``COPY`` into a temporary staging table followed by
set-based ``INSERT … SELECT`` / ``UPDATE … FROM``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from portal.registry.models import Household, ImportSeen, Person
from portal.registry.validation import PreparedChunk, PreparedHousehold

HOUSEHOLD_COLS = (
    "kk_index",
    "kk_enc",
    "village_code",
    "address_enc",
    "desil",
    "programs",
    "floor_area_m2",
    "floor_material",
    "wall_material",
    "roof_material",
    "drinking_water",
    "lighting_source",
    "cooking_fuel",
    "toilet_facility",
    "home_ownership",
    "data_as_of",
    "content_digest",
    "removed_at",
    "changed_at",
)
PERSON_COLS = (
    "nik_index",
    "nik_enc",
    "name_enc",
    "birth_date_enc",
    "relationship",
    "sex",
    "data_updated_at",
)
IN_CHUNK = 500  # bound parameters per IN (...) query
STALE = bytes(32)  # a digest no real content has


@dataclass
class ChunkResult:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    persons: int = 0
    rejects: list[tuple[int, str, list[str] | None]] = field(default_factory=list)


def _chunks(items: list, size: int = IN_CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


class ChunkWriter:
    """Applies one prepared chunk inside the caller's transaction."""

    def __init__(self, session: Session, run_id: int, now: dt.datetime) -> None:
        self.session = session
        self.run_id = run_id
        self.now = now

    # -- the rules -----------------------------------------------------------
    def write(self, chunk: PreparedChunk) -> ChunkResult:
        result = ChunkResult()
        households = self._drop_repeated_households(chunk.households, result)
        existing = self._existing(households)
        new, changed = [], []
        for h in households:
            found = existing.get(h.kk_index)
            if found is None:
                new.append(h)
            elif found[1] != h.content_digest or found[2] is not None:
                changed.append((found[0], h))
            else:
                result.unchanged += 1
        self._resolve_nik_conflicts(new + [h for _, h in changed], changed, result)
        # A household whose every row was rejected is not imported at all.
        emptied = {h.kk_index for h in households if not h.persons}
        new = [h for h in new if h.persons]
        changed = [(hid, h) for hid, h in changed if h.persons]
        households = [h for h in households if h.kk_index not in emptied]
        if changed:
            self.update_households(changed)
            self.session.execute(
                delete(Person).where(Person.household_id.in_([hid for hid, _ in changed]))
            )
        if new:
            self.insert_households(new)
        todo = new + [h for _, h in changed]
        if todo:
            result.persons = self.insert_persons(todo)
        self._mark_seen(households)
        result.new, result.changed = len(new), len(changed)
        return result

    def _drop_repeated_households(
        self, households: list[PreparedHousehold], result: ChunkResult
    ) -> list[PreparedHousehold]:
        """A kk_number already seen earlier in this run means its rows were not
        contiguous: reject the later rows rather than overwrite the household."""
        keys = [h.kk_index for h in households]
        earlier: dict[bytes, int] = {}
        for part in _chunks(keys):
            rows = self.session.execute(
                select(ImportSeen.kk_index, ImportSeen.first_line).where(
                    ImportSeen.run_id == self.run_id, ImportSeen.kk_index.in_(part)
                )
            )
            earlier.update({bytes(k): line for k, line in rows})
        kept = []
        for h in households:
            first = earlier.get(h.kk_index)
            if first is None:
                earlier[h.kk_index] = h.first_line
                kept.append(h)
                continue
            for p in h.persons:
                result.rejects.append(
                    (
                        p.line,
                        f"kk_number: already seen at line {first}; rows of one "
                        "household must be consecutive",
                        None,
                    )
                )
        return kept

    def _existing(self, households: list[PreparedHousehold]) -> dict[bytes, tuple]:
        found: dict[bytes, tuple] = {}
        for part in _chunks([h.kk_index for h in households]):
            rows = self.session.execute(
                select(
                    Household.kk_index,
                    Household.id,
                    Household.content_digest,
                    Household.removed_at,
                ).where(Household.kk_index.in_(part))
            )
            for kk, hid, digest, removed in rows:
                found[bytes(kk)] = (hid, bytes(digest), removed)
        return found

    def _resolve_nik_conflicts(
        self,
        todo: list[PreparedHousehold],
        changed: list[tuple[int, PreparedHousehold]],
        result: ChunkResult,
    ) -> None:
        """A NIK may already belong to another household.

        If that household was imported earlier in this run, the NIK appears
        twice in the file: reject the later row. Otherwise the person moved
        since the last snapshot: their old row goes (the household they left
        is rewritten when its own rows arrive, or marked removed at the end).
        """
        replaced = {hid for hid, _ in changed}
        first_line: dict[bytes, int] = {}
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
            h.persons = kept
        stale: list[int] = []
        left: set[int] = set()  # households a person moved out of
        taken: set[bytes] = set()
        for part in _chunks(list(first_line)):
            rows = self.session.execute(
                select(Person.nik_index, Person.id, Person.household_id, Household.kk_index)
                .join(Household, Household.id == Person.household_id)
                .where(Person.nik_index.in_(part))
            )
            for nik_index, pid, hid, kk_index in rows:
                if hid in replaced:
                    continue
                if self._seen_in_run(bytes(kk_index)):
                    taken.add(bytes(nik_index))
                else:
                    stale.append(pid)
                    left.add(hid)
        if taken:
            for h in todo:
                kept = []
                for p in h.persons:
                    if p.nik_index in taken:
                        result.rejects.append(
                            (p.line, "nik: already imported earlier in this file", None)
                        )
                    else:
                        kept.append(p)
                h.persons = kept
        for part in _chunks(stale):
            self.session.execute(delete(Person).where(Person.id.in_(part)))
        # The household a person left no longer matches its digest: when its
        # own rows arrive later in the file it must be rewritten, not skipped.
        for part in _chunks(sorted(left)):
            self.session.execute(
                update(Household).where(Household.id.in_(part)).values(content_digest=STALE)
            )

    def _seen_in_run(self, kk_index: bytes) -> bool:
        return (
            self.session.scalar(
                select(ImportSeen.first_line).where(
                    ImportSeen.run_id == self.run_id, ImportSeen.kk_index == kk_index
                )
            )
            is not None
        )

    def _mark_seen(self, households: list[PreparedHousehold]) -> None:
        if households:
            self.session.execute(
                ImportSeen.__table__.insert(),
                [
                    {"run_id": self.run_id, "kk_index": h.kk_index, "first_line": h.first_line}
                    for h in households
                ],
            )

    # -- helpers for subclasses --------------------------------------------
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

    # -- bulk operations, per backend ----------------------------------------
    def insert_households(self, households: list[PreparedHousehold]) -> None:
        raise NotImplementedError

    def update_households(self, changed: list[tuple[int, PreparedHousehold]]) -> None:
        raise NotImplementedError

    def insert_persons(self, households: list[PreparedHousehold]) -> int:
        raise NotImplementedError


class SqliteChunkWriter(ChunkWriter):
    def _raw(self):
        return self.session.connection().connection.driver_connection

    def _now(self) -> str:
        return self.now.strftime("%Y-%m-%d %H:%M:%S.%f")

    def insert_households(self, households):
        now = self._now()
        cols = ", ".join(HOUSEHOLD_COLS)
        marks = ", ".join("?" * len(HOUSEHOLD_COLS))
        self._raw().executemany(
            f"INSERT INTO households ({cols}) VALUES ({marks})",  # noqa: S608 - fixed names
            [self.household_row(h, now) for h in households],
        )

    def update_households(self, changed):
        now = self._now()
        sets = ", ".join(f"{c} = ?" for c in HOUSEHOLD_COLS[1:])
        self._raw().executemany(
            f"UPDATE households SET {sets} WHERE id = ?",  # noqa: S608 - fixed names
            [(*self.household_row(h, now)[1:], hid) for hid, h in changed],
        )

    def insert_persons(self, households):
        ids: dict[bytes, int] = {}
        for part in _chunks([h.kk_index for h in households]):
            stmt = select(Household.kk_index, Household.id).where(
                Household.kk_index.in_(bindparam("keys", expanding=True))
            )
            ids.update({bytes(k): i for k, i in self.session.execute(stmt, {"keys": part})})
        rows = [
            (
                ids[h.kk_index],
                p.nik_index,
                p.nik_enc,
                p.name_enc,
                p.birth_date_enc,
                p.relationship,
                p.sex,
                p.data_updated_at,
            )
            for h in households
            for p in h.persons
        ]
        cols = ", ".join(("household_id", *PERSON_COLS))
        self._raw().executemany(
            f"INSERT INTO persons ({cols}) VALUES ({', '.join('?' * (len(PERSON_COLS) + 1))})",  # noqa: S608
            rows,
        )
        return len(rows)


class PostgresChunkWriter(ChunkWriter):
    """COPY into ``ON COMMIT DROP`` staging tables, then set-based statements."""

    def _cursor(self):
        return self.session.connection().connection.driver_connection.cursor()

    def _stage_households(self, households, extra_id: list[int] | None = None) -> None:
        cur = self._cursor()
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS stage_households "
            "(LIKE households INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cur.execute("TRUNCATE stage_households")
        cols = ("id", *HOUSEHOLD_COLS) if extra_id is not None else HOUSEHOLD_COLS
        with cur.copy(f"COPY stage_households ({', '.join(cols)}) FROM STDIN") as copy:
            for i, h in enumerate(households):
                row = self.household_row(h, self.now)
                copy.write_row((extra_id[i], *row) if extra_id is not None else row)

    def insert_households(self, households):
        self._stage_households(households)
        cols = ", ".join(HOUSEHOLD_COLS)
        self._cursor().execute(
            f"INSERT INTO households ({cols}) SELECT {cols} FROM stage_households"  # noqa: S608
        )

    def update_households(self, changed):
        self._stage_households([h for _, h in changed], [hid for hid, _ in changed])
        sets = ", ".join(f"{c} = s.{c}" for c in HOUSEHOLD_COLS[1:])
        self._cursor().execute(
            f"UPDATE households h SET {sets} FROM stage_households s WHERE h.id = s.id"  # noqa: S608
        )

    def insert_persons(self, households):
        cur = self._cursor()
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS stage_persons (kk_index bytea, nik_index bytea, "
            "nik_enc bytea, name_enc bytea, birth_date_enc bytea, relationship text, "
            "sex text, data_updated_at date) ON COMMIT DELETE ROWS"
        )
        cur.execute("TRUNCATE stage_persons")
        count = 0
        with cur.copy(
            f"COPY stage_persons (kk_index, {', '.join(PERSON_COLS)}) FROM STDIN"
        ) as copy:
            for h in households:
                for p in h.persons:
                    copy.write_row(
                        (
                            h.kk_index,
                            p.nik_index,
                            p.nik_enc,
                            p.name_enc,
                            p.birth_date_enc,
                            p.relationship,
                            p.sex,
                            p.data_updated_at,
                        )
                    )
                    count += 1
        cols = ", ".join(PERSON_COLS)
        cur.execute(
            f"INSERT INTO persons (household_id, {cols}) "  # noqa: S608 - fixed names
            f"SELECT h.id, {', '.join('s.' + c for c in PERSON_COLS)} "
            "FROM stage_persons s JOIN households h ON h.kk_index = s.kk_index"
        )
        return count


def writer_for(session: Session, run_id: int, now: dt.datetime) -> ChunkWriter:
    dialect = session.get_bind().dialect.name
    cls = PostgresChunkWriter if dialect == "postgresql" else SqliteChunkWriter
    return cls(session, run_id, now)
