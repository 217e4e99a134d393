"""Finding a desa/kelurahan by name, for the searchable village list.

83,762 villages, each with its place ("Cibinong, Cibinong, Kabupaten Bogor,
Jawa Barat"), are held in memory once per process (a few MB, built from the
regions table on first use) and matched in Python: every typed word must
appear somewhere in the place, so "cibinong bogor" narrows to Bogor's.
Villages whose own name starts with, then holds, the first word come first. A scan costs tens of
milliseconds, so answers are kept for the last 2,048 queries (people type
the same names) and the endpoint is rate limited. The regions only change
with ``flask regions load``, after which the server is restarted anyway.

The work of one query is bounded whatever is typed: one-letter words are
ignored (every place holds an "a"), repeated words count once, and only the
first ``MAX_WORDS`` words are used. The longest word is scanned for first
(it keeps the fewest places), so a query makes at most ``MAX_WORDS`` word
tests per village: ``"a a a …"`` once cost 618 ms, a scan per word.
"""

from __future__ import annotations

import heapq
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import select

from portal.extensions import db, once_per_app
from portal.regions.models import VILLAGE, Region

MIN_QUERY = 3
MIN_WORD = 2
MAX_WORDS = 4
MAX_RESULTS = 15
CACHED_QUERIES = 2048


@dataclass(frozen=True)
class Place:
    code: str
    label: str  # "Village, District, Regency, Province"


@dataclass(frozen=True)
class Found:
    places: list[Place]
    more: bool  # there were more than ``MAX_RESULTS``


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def query_words(query: str) -> list[str]:
    """The words a query is matched on: folded, at least ``MIN_WORD`` letters,
    each once, the first ``MAX_WORDS`` of them in the order typed."""
    words: list[str] = []
    for word in fold(query).split():
        if len(word) >= MIN_WORD and word not in words:
            words.append(word)
    return words[:MAX_WORDS]


class VillageIndex:
    def __init__(self, entries: list[tuple[str, str, Place]]) -> None:
        self._entries = entries  # (folded place, folded village name, place)
        self._answers: OrderedDict[str, Found] = OrderedDict()
        self._lock = threading.Lock()
        #: Word-in-place tests made by searches so far: the measure of their
        #: work that tests and benchmarks read (not a clock).
        self.word_tests = 0

    def search(self, query: str) -> Found:
        words = query_words(query)
        if len("".join(words)) < MIN_QUERY:
            return Found([], False)
        key = " ".join(words)
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
        first = words[0]
        scan = max(words, key=len)
        rest = [w for w in words if w != scan]
        candidates = [e for e in self._entries if scan in e[0]]
        tests = len(self._entries)
        for word in rest:  # one word at a time: each pass keeps fewer places
            tests += len(candidates)
            candidates = [e for e in candidates if word in e[0]]
        self.word_tests += tests
        # the village's own name starting with, then holding, the first word
        best = heapq.nsmallest(
            MAX_RESULTS + 1,
            candidates,
            key=lambda e: (not e[1].startswith(first), first not in e[1], e[2].label),
        )
        best = [e[2] for e in best]
        found = Found(best[:MAX_RESULTS], len(best) > MAX_RESULTS)
        with self._lock:
            self._answers[key] = found
            if len(self._answers) > CACHED_QUERIES:
                self._answers.popitem(last=False)
        return found


def village_index() -> VillageIndex:
    return once_per_app("portal_village_index", _build)


def _build() -> VillageIndex:
    names = dict(db.session.execute(select(Region.code, Region.name)).all())
    villages = db.session.scalars(
        select(Region.code).where(Region.level == VILLAGE).order_by(Region.code)
    )
    entries = []
    for code in villages:
        parts = code.split(".")
        path = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
        label = ", ".join(names[c] for c in path if c in names)
        entries.append((fold(label), fold(names.get(code, "")), Place(code, label)))
    return VillageIndex(entries)


def search_villages(query: str) -> Found:
    """Up to ``MAX_RESULTS`` villages whose place holds every word of ``query``."""
    return village_index().search(query)
