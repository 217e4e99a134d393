"""Checking the audit log's chain: the first row changed, removed or inserted.

Rows come in id order. A row is sound when its ``row_hash`` matches its
content (``chain_hash``) and its ``prev_hash`` is the previous row's
``row_hash``. At the first row that is not, one row of look-ahead tells the
cases apart: the next row chaining onto the previous one means this row was
inserted (or, when this row chains onto the next, the two were swapped).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from portal.audit.log import GENESIS, chain_hash


@dataclass(frozen=True)
class Verified:
    verified: int
    #: The last sound row's hash (None for an empty log).
    head: bytes | None
    #: What is wrong, naming the row; None when the whole chain is sound.
    problem: str | None = None


def verify(rows: Iterable) -> Verified:
    """``rows``: objects with the table's columns, in id order."""
    rows = iter(rows)
    before = None  # the last sound row
    expected = GENESIS
    count = 0
    for row in rows:
        prev_hash, row_hash = bytes(row.prev_hash), bytes(row.row_hash)
        content_ok = chain_hash(prev_hash, row) == row_hash
        linked = prev_hash == expected
        if content_ok and linked:
            before, expected, count = row, row_hash, count + 1
            continue
        after = next(rows, None)
        head = bytes(before.row_hash) if before is not None else None
        return Verified(count, head, _diagnose(row, before, after, expected, content_ok, linked))
    return Verified(count, bytes(before.row_hash) if before is not None else None)


def _diagnose(row, before, after, expected: bytes, content_ok: bool, linked: bool) -> str:
    where = f"row {before.id}" if before is not None else "the start of the log"
    if after is not None and bytes(after.prev_hash) == expected:
        if bytes(row.prev_hash) == bytes(after.row_hash):
            return f"rows {row.id} and {after.id} were swapped"
        return f"row {row.id} was inserted: row {after.id} follows {where}"
    if not content_ok:
        return f"row {row.id} was changed: its hash does not match its content"
    return (
        f"row {row.id} does not follow {where}: a row between them was removed, "
        f"or {where} was changed and its hash recomputed"
    )
