"""Code-mapping files for ``flask dtsen import --codes MAP.csv``.

A DTSEN extract may spell the house-condition columns its own way (BPS
numeric codes, other words). A mapping file translates them into the
portal's vocabulary (``schema.CONDITION_VALUES``) before the import checks
them. Format: UTF-8 CSV (a BOM is fine) with the header
``column,source_value,portal_value``, one translation per line::

    column,source_value,portal_value
    roof_material,1,beton
    roof_material,3,genteng
    drinking_water,PDAM,ledeng

``column`` is one of the eight categorical condition columns, ``portal_value``
one of that column's values. Surrounding spaces are ignored; blank lines are
skipped. The same ``(column, source_value)`` twice with different targets is
an error. Every error is reported with its line before anything is imported.
"""

from __future__ import annotations

import csv
from pathlib import Path

from portal.registry.schema import CONDITION_VALUES

HEADER = ("column", "source_value", "portal_value")
MAX_SOURCE = 200
MAX_ERRORS = 20

#: column → {source value → portal value}
CodeMap = dict[str, dict[str, str]]


class CodesError(ValueError):
    """The mapping file is unusable; the message lists what is wrong and where."""


def load_codes(path: Path) -> CodeMap:
    """Read and validate a mapping file; raise ``CodesError`` listing every problem."""
    errors: list[str] = []
    codes: CodeMap = {}
    seen: dict[tuple[str, str], int] = {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(enumerate(csv.reader(fh), start=1))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CodesError(f"{path}: cannot read the file ({exc})") from None
    if not rows or tuple(h.strip().lower() for h in rows[0][1]) != HEADER:
        raise CodesError(f"{path}: the first line must be: " + ",".join(HEADER))
    for line, fields in rows[1:]:
        if not any(f.strip() for f in fields):
            continue
        problem = _check(fields, line, seen, codes)
        if problem:
            errors.append(f"line {line}: {problem}")
    if errors:
        shown = errors[:MAX_ERRORS]
        if len(errors) > MAX_ERRORS:
            shown.append(f"… and {len(errors) - MAX_ERRORS} more")
        raise CodesError(f"{path}: nothing imported, fix these lines:\n  " + "\n  ".join(shown))
    return codes


def _check(fields: list[str], line: int, seen: dict, codes: CodeMap) -> str | None:
    """Add one translation to ``codes``, or say what is wrong with it."""
    if len(fields) != 3:
        return f"expected 3 fields (column,source_value,portal_value), found {len(fields)}"
    column, source, target = (f.strip() for f in fields)
    if column not in CONDITION_VALUES:
        return f"unknown column {column!r}; only these can be mapped: " + ", ".join(
            CONDITION_VALUES
        )
    if not source or len(source) > MAX_SOURCE:
        return f"source_value: required, at most {MAX_SOURCE} characters"
    if target not in CONDITION_VALUES[column]:
        return f"portal_value {target!r} is not a {column} value; use one of: " + ", ".join(
            CONDITION_VALUES[column]
        )
    table = codes.setdefault(column, {})
    earlier = table.get(source)
    if earlier is not None and earlier != target:
        return (
            f"{column} {source!r} is mapped to {earlier!r} on line "
            f"{seen[(column, source)]} and to {target!r} here"
        )
    table[source] = target
    seen.setdefault((column, source), line)
    return None
