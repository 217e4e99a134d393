"""Row validation and preparation for the snapshot import.

Runs in worker processes: everything here is a pure function of the rows and
the keyring, so it can be spread over the CPU cores. A household arrives as
its consecutive CSV rows; it leaves as one prepared household (blind indexes,
ciphertexts, plain columns) plus its prepared members, a list of rejected
rows with their line number and reason, and a list of warnings: descriptive
values the portal does not know, imported as given (line, column, value).

Strict and forgiving columns: identity and decision columns (NIK, KK,
village, relationship, sex, dates, desil, programmes, floor area) reject the
row when they break a rule. The eight categorical house-condition columns
never do: a value is first translated by the ``--codes`` mapping
(``portal.registry.codes``), then either is in the vocabulary or is kept as
given (control characters removed, spaces trimmed, at most ``MAX_CODE``
characters) and reported as a warning on the household's first line.
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
from portal.registry.codes import CodeMap
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
#: Longest condition value stored (the columns are VARCHAR(32)).
MAX_CODE = 32
#: (column, CSV index, vocabulary) of the categorical condition columns.
CONDITION_CHECKS = tuple(
    (column, COL[column], frozenset(allowed)) for column, allowed in CONDITION_VALUES.items()
)
CONDITION_BY_IDX = {i: (column, allowed) for column, i, allowed in CONDITION_CHECKS}

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
    conditions: tuple[str | None, ...]  # the eight categorical columns, as stored
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
    #: (line, column, value as stored) of condition values outside the vocabulary
    warnings: list[tuple[int, str, str]] = field(default_factory=list)
    rows: int = 0
    codes_mapped: int = 0  # condition values translated by the --codes mapping
    parse_s: float = 0.0
    validate_s: float = 0.0
    crypto_s: float = 0.0


class RowError(ValueError):
    """A row breaks a rule; the message is the reason written to the rejects file."""


# Worker process state, set once by ``init_worker``.
_keyring: Keyring | None = None
_villages: frozenset[str] = frozenset()
_codes: CodeMap = {}


def init_worker(raw_keys: tuple, villages: frozenset[str], codes: CodeMap | None = None) -> None:
    global _keyring, _villages, _codes
    _keyring = Keyring.from_raw(raw_keys)
    _villages = villages
    _codes = codes or {}


class Conditions(NamedTuple):
    """The condition columns of a household as they will be stored."""

    values: tuple[str | None, ...]
    unknown: tuple[tuple[str, str], ...]  # (column, value kept as given)
    mapped: int  # how many were translated by the mapping
    altered: bool  # stored values differ from the CSV's (mapped or cleaned)


def _clean(value: str) -> str:
    return CONTROL.sub("", value).strip()[:MAX_CODE]


def _resolve(column: str, allowed: frozenset[str], value: str) -> tuple[str | None, bool, bool]:
    """(value to store, is it unknown, was it mapped) for one condition value."""
    table = _codes.get(column)
    if table:
        target = table.get(value)
        if target is not None:
            return target, False, True
    if not value or value in allowed:
        return value or None, False, False
    clean = _clean(value)
    if table and clean in table:
        return table[clean], False, True
    if not clean or clean in allowed:
        return clean or None, False, False
    return clean, True, False


def resolve_conditions(values: list[str]) -> Conditions:
    """Map, check and clean the categorical condition columns of a row."""
    stored: list[str | None] = []
    unknown: list[tuple[str, str]] = []
    mapped = 0
    altered = False
    codes = _codes
    for column, i, allowed in CONDITION_CHECKS:
        raw = values[i]
        if not codes and (raw in allowed or not raw):
            stored.append(raw or None)  # the common case: one set lookup
            continue
        value, is_unknown, is_mapped = _resolve(column, allowed, raw)
        stored.append(value)
        mapped += is_mapped
        altered = altered or value != (raw or None)
        if is_unknown:
            unknown.append((column, value))
    return Conditions(tuple(stored), tuple(unknown), mapped, altered)


def _first_disagreement(values: list[str], head: list[str]) -> str | None:
    """The first household column where ``values`` differs from ``head``, after
    mapping: ``3`` and ``genteng`` agree when the mapping says ``3`` is ``genteng``."""
    for i in HOUSEHOLD_IDX:
        if values[i] == head[i]:
            continue
        check = CONDITION_BY_IDX.get(i)
        if check is not None:
            column, allowed = check
            if _resolve(column, allowed, values[i])[0] == _resolve(column, allowed, head[i])[0]:
                continue
        return CSV_COLUMNS[i]
    return None


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


def check_household(values: list[str]) -> tuple[int | None, int | None, Conditions]:
    """Rules for the household columns; returns (desil, floor_area_m2, conditions)."""
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
    return desil, area, resolve_conditions(values)


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
    household_values: tuple[int | None, int | None, Conditions] | None = None
    seen_nik: dict[str, int] = {}
    for line, values in rows:
        try:
            check_person(values, today)
            if head is None:
                household_values = check_household(values)
                head, head_line = values, line
            elif values[HOUSEHOLD_SLICE] != head[HOUSEHOLD_SLICE]:
                differing = _first_disagreement(values, head)
                if differing is not None:
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
    assert head is not None and household_values is not None
    desil, area, conditions = household_values
    out.warnings.extend((head_line, column, value) for column, value in conditions.unknown)
    out.codes_mapped += conditions.mapped
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
    content = "\x1e".join("\x1f".join(v) for _, v in good)
    if conditions.altered:
        # What is stored depends on the mapping too: a new mapping for the same
        # file must update the household, the same mapping must not.
        content += "\x1d" + "\x1f".join(c or "" for c in conditions.values)
    digest = ring.content_digest(content.encode("utf-8"))
    out.households.append(
        PreparedHousehold(
            kk_index=ring.kk_index(head[COL["kk_number"]]),
            kk_enc=ring.encrypt(head[COL["kk_number"]], P_KK),
            village_code=head[COL["village_code"]],
            address_enc=ring.encrypt(head[COL["address"]].strip(), P_ADDRESS),
            desil=desil,
            programs=head[COL["programs"]],
            floor_area_m2=area,
            conditions=conditions.values,
            data_as_of=max(v[COL["updated_at"]] for _, v in good),
            content_digest=digest,
            first_line=good[0][0],
            persons=persons,
        )
    )
    out.crypto_s += time.perf_counter() - t1
