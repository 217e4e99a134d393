"""Row validation and preparation for the snapshot import.

Runs in worker processes: everything here is a pure function of the rows and
the keyring, so it can be spread over the CPU cores. A household arrives as
its consecutive CSV rows; it leaves as one prepared household (blind indexes,
ciphertexts, plain columns) plus its prepared members, and a list of rejected
rows with their line number and reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from dataclasses import dataclass, field
from typing import NamedTuple

from lokal import parse_nik
from lokal.provinces import PROVINCES

from portal.crypto import Keyring
from portal.registry.identity import seal_identity
from portal.registry.models import RELATIONSHIPS
from portal.registry.schema import (
    CONDITION_VALUES,
    CSV_COLUMNS,
    HOUSEHOLD_COLUMNS,
    PROGRAM_CODES,
)

COL = {name: i for i, name in enumerate(CSV_COLUMNS)}
HOUSEHOLD_IDX = tuple(COL[c] for c in HOUSEHOLD_COLUMNS)
# The household columns are contiguous in the CSV: one slice compares them all.
HOUSEHOLD_SLICE = slice(HOUSEHOLD_IDX[0], HOUSEHOLD_IDX[-1] + 1)
assert tuple(range(HOUSEHOLD_SLICE.start, HOUSEHOLD_SLICE.stop)) == HOUSEHOLD_IDX
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SIXTEEN = re.compile(r"^[0-9]{16}$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
RELATIONSHIP_SET = frozenset(RELATIONSHIPS)
PROGRAM_SET = frozenset(PROGRAM_CODES)
MAX_NAME = 120
MAX_ADDRESS = 200
EARLIEST_DATE = dt.date(1900, 1, 1)

#: Purposes (AES-GCM associated data): a ciphertext only decrypts in its column.
P_KK = b"household.kk"
P_ADDRESS = b"household.address"

Row = tuple[int, list[str]]  # (line number, CSV values)


class PreparedHousehold(NamedTuple):
    """One household ready to write. NamedTuples: they cross the process
    boundary, and pickle several times faster than dataclasses."""

    kk_index: bytes
    kk_enc: bytes
    village_code: str
    address_enc: bytes
    desil: int | None
    programs: str
    floor_area_m2: int | None
    conditions: tuple[str | None, ...]  # the eight categorical columns
    data_as_of: str
    content_digest: bytes
    first_line: int
    persons: tuple[PreparedPerson, ...]


class PreparedPerson(NamedTuple):
    nik_index: bytes
    identity_enc: bytes
    relationship: str
    sex: str
    data_updated_at: str
    line: int


@dataclass
class PreparedChunk:
    households: list[PreparedHousehold] = field(default_factory=list)
    rejects: list[tuple[int, str, list[str]]] = field(default_factory=list)
    rows: int = 0
    parse_s: float = 0.0
    validate_s: float = 0.0
    crypto_s: float = 0.0


class RowError(ValueError):
    """A row breaks a rule; the message is the reason written to the rejects file."""


# Worker process state, set once by ``init_worker``.
_keyring: Keyring | None = None
_villages: frozenset[str] = frozenset()


def init_worker(raw_keys: tuple, villages: frozenset[str]) -> None:
    global _keyring, _villages
    _keyring = Keyring.from_raw(raw_keys)
    _villages = villages


def _date(value: str, column: str, today: dt.date) -> dt.date:
    if not ISO_DATE.match(value):
        raise RowError(f"{column}: expected YYYY-MM-DD, got {value!r}")
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        raise RowError(f"{column}: {value!r} is not a real date") from None
    if not EARLIEST_DATE <= parsed <= today:
        raise RowError(f"{column}: {value} is outside 1900-01-01..today")
    return parsed


def check_person(values: list[str], today: dt.date) -> None:
    """Rules for the person columns of one row."""
    if len(values) != len(CSV_COLUMNS):
        raise RowError(f"expected {len(CSV_COLUMNS)} columns, found {len(values)}")
    kk = values[COL["kk_number"]]
    if not SIXTEEN.match(kk) or kk[:2] not in PROVINCES:
        raise RowError("kk_number: must be 16 digits starting with a province code")
    info = parse_nik(values[COL["nik"]], reference_date=today)
    if not info.valid or values[COL["nik"]] != info.nik:
        codes = ",".join(e.code for e in info.errors) or "format"
        raise RowError(f"nik: invalid NIK ({codes})")
    name = values[COL["full_name"]].strip()
    if not name or len(name) > MAX_NAME:
        raise RowError(f"full_name: required, at most {MAX_NAME} characters")
    if CONTROL.search(name):
        raise RowError("full_name: control characters are not allowed")
    if values[COL["relationship"]] not in RELATIONSHIP_SET:
        raise RowError(f"relationship: unknown value {values[COL['relationship']]!r}")
    if values[COL["sex"]] not in ("L", "P"):
        raise RowError("sex: must be L or P")
    _date(values[COL["birth_date"]], "birth_date", today)
    _date(values[COL["updated_at"]], "updated_at", today)


def check_household(values: list[str]) -> tuple[int | None, int | None]:
    """Rules for the household columns; returns (desil, floor_area_m2)."""
    village = values[COL["village_code"]]
    if village not in _villages:
        raise RowError(f"village_code: unknown desa/kelurahan {village!r}")
    address = values[COL["address"]].strip()
    if not address or len(address) > MAX_ADDRESS:
        raise RowError(f"address: required, at most {MAX_ADDRESS} characters")
    desil_text = values[COL["desil"]]
    desil = None
    if desil_text:
        if not desil_text.isdigit() or not 1 <= int(desil_text) <= 10:
            raise RowError(f"desil: must be 1-10 or empty, got {desil_text!r}")
        desil = int(desil_text)
    programs = values[COL["programs"]]
    if programs:
        unknown = set(programs.split(";")) - PROGRAM_SET
        if unknown:
            raise RowError(f"programs: unknown code(s) {','.join(sorted(unknown))}")
    area_text = values[COL["floor_area_m2"]]
    area = None
    if area_text:
        if not area_text.isdigit() or not 1 <= int(area_text) <= 10000:
            raise RowError("floor_area_m2: must be a whole number 1-10000 or empty")
        area = int(area_text)
    for column, allowed in CONDITION_VALUES.items():
        value = values[COL[column]]
        if value and value not in allowed:
            raise RowError(f"{column}: unknown value {value!r}")
    return desil, area


def parse_block(block: bytes, first_line: int) -> list[list[Row]]:
    """Parse a block of whole CSV records (UTF-8) and group consecutive rows
    by kk_number. A record's line number is the physical line it starts on
    (the header is line 1)."""
    reader = csv.reader(io.StringIO(block.decode("utf-8")))
    households: list[list[Row]] = []
    current: list[Row] = []
    current_kk = None
    previous_end = 0
    for values in reader:
        line = first_line + previous_end
        previous_end = reader.line_num
        if not values:
            continue
        if current and values[0] != current_kk:
            households.append(current)
            current = []
        current_kk = values[0]
        current.append((line, values))
    if current:
        households.append(current)
    return households


def prepare_block(block: bytes, first_line: int, today_iso: str) -> PreparedChunk:
    """Parse, validate and encrypt a block of households (worker side)."""
    t0 = time.perf_counter()
    households = parse_block(block, first_line)
    out = prepare_chunk(households, today_iso)
    out.parse_s = time.perf_counter() - t0 - out.validate_s - out.crypto_s
    return out


def prepare_chunk(households: list[list[Row]], today_iso: str) -> PreparedChunk:
    """Validate and encrypt a chunk of households (each a list of its rows)."""
    assert _keyring is not None, "init_worker was not called"
    today = dt.date.fromisoformat(today_iso)
    out = PreparedChunk()
    for rows in households:
        out.rows += len(rows)
        _prepare_household(rows, today, out)
    return out


def _prepare_household(rows: list[Row], today: dt.date, out: PreparedChunk) -> None:
    ring = _keyring
    t0 = time.perf_counter()
    good: list[Row] = []
    head: list[str] | None = None
    head_line = 0
    household_values: tuple[int | None, int | None] = (None, None)
    seen_nik: dict[str, int] = {}
    for line, values in rows:
        try:
            check_person(values, today)
            if head is None:
                household_values = check_household(values)
                head, head_line = values, line
            elif values[HOUSEHOLD_SLICE] != head[HOUSEHOLD_SLICE]:
                differing = next(CSV_COLUMNS[i] for i in HOUSEHOLD_IDX if values[i] != head[i])
                raise RowError(
                    f"{differing}: household columns disagree with line {head_line} "
                    "of the same kk_number"
                )
            nik = values[COL["nik"]]
            if nik in seen_nik:
                raise RowError(f"nik: duplicate of line {seen_nik[nik]}")
            seen_nik[nik] = line
            good.append((line, values))
        except RowError as exc:
            out.rejects.append((line, str(exc), values))
    t1 = time.perf_counter()
    out.validate_s += t1 - t0
    if not good:
        return
    assert head is not None
    persons = tuple(
        PreparedPerson(
            nik_index=ring.nik_index(v[COL["nik"]]),
            identity_enc=seal_identity(
                ring, v[COL["nik"]], v[COL["full_name"]].strip(), v[COL["birth_date"]]
            ),
            relationship=v[COL["relationship"]],
            sex=v[COL["sex"]],
            data_updated_at=v[COL["updated_at"]],
            line=line,
        )
        for line, v in good
    )
    digest = ring.content_digest("\x1e".join("\x1f".join(v) for _, v in good).encode("utf-8"))
    desil, area = household_values
    out.households.append(
        PreparedHousehold(
            kk_index=ring.kk_index(head[COL["kk_number"]]),
            kk_enc=ring.encrypt(head[COL["kk_number"]], P_KK),
            village_code=head[COL["village_code"]],
            address_enc=ring.encrypt(head[COL["address"]].strip(), P_ADDRESS),
            desil=desil,
            programs=head[COL["programs"]],
            floor_area_m2=area,
            conditions=tuple(head[COL[c]] or None for c in CONDITION_VALUES),
            data_as_of=max(v[COL["updated_at"]] for _, v in good),
            content_digest=digest,
            first_line=good[0][0],
            persons=persons,
        )
    )
    out.crypto_s += time.perf_counter() - t1
