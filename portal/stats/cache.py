"""Each process keeps the figures of a scope it has read for
``STATS_CACHE_SECONDS`` (60): they change only when ``flask stats refresh``
runs (every 15 minutes), and the page states their moment ("figures as of
…", ``computed_at``), so a reader may get them up to a minute after a
newer refresh but never mislabelled. A hit costs no query. Only scopes that
exist are kept (at most one entry per office), so junk ``?scope=`` values
cannot grow it."""

from __future__ import annotations

import time
from collections.abc import Callable

from portal.stats import read

_entries: dict[str, tuple[float, read.ScopeStats]] = {}


def load(code: str, ttl: float, clock: Callable[[], float] = time.monotonic):
    """``read.load(code)``, reused for ``ttl`` seconds (0: never)."""
    now = clock()
    hit = _entries.get(code)
    if ttl > 0 and hit is not None and now - hit[0] < ttl:
        return hit[1]
    stats = read.load(code)
    if ttl > 0 and stats is not None:
        _entries[code] = (now, stats)
    return stats


def clear() -> None:
    _entries.clear()
