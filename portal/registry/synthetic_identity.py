"""Dates and identity numbers for the synthetic snapshot (``synthetic.py``):
the day calendar, NIK and KK numbers with their per-kecamatan nomor urut, and
the person record the household factory fills in."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

FIRST_BIRTH = dt.date(1935, 1, 1)
SNAPSHOT_DATE = dt.date(2025, 12, 31)
FIRST_UPDATE = dt.date(2023, 1, 1)
#: Family cards with the 16-digit number were issued from SIAK's roll-out on.
FIRST_KK_ISSUE = dt.date(2006, 1, 1)


# --- Identity numbers -----------------------------------------------------------------------------


class _Calendar:
    """Every day from FIRST_BIRTH to SNAPSHOT_DATE by index (0 = FIRST_BIRTH), as strings."""

    def __init__(self) -> None:
        count = (SNAPSHOT_DATE - FIRST_BIRTH).days + 1
        dates = [FIRST_BIRTH + dt.timedelta(days=i) for i in range(count)]
        self.iso = [d.isoformat() for d in dates]
        self.ddmmyy = [f"{d.day:02d}{d.month:02d}{d.year % 100:02d}" for d in dates]
        self.ddmmyy_women = [f"{d.day + 40}{d.month:02d}{d.year % 100:02d}" for d in dates]


@functools.cache
def _calendar() -> _Calendar:
    return _Calendar()


def _day(date: dt.date) -> int:
    return (date - FIRST_BIRTH).days


def _years(years: float) -> int:
    return round(years * 365.25)


_LAST = _day(SNAPSHOT_DATE)
_FIRST_UPDATE = _day(FIRST_UPDATE)
_FIRST_KK_ISSUE = _day(FIRST_KK_ISSUE)
_BORN_1970 = _day(dt.date(1970, 1, 1))
_BORN_1975 = _day(dt.date(1975, 1, 1))
_BORN_1990 = _day(dt.date(1990, 1, 1))
_BORN_2000 = _day(dt.date(2000, 1, 1))
MAX_SERIAL = 9999


class _SerialBook:
    """The nomor urut of NIKs and KK numbers handed out in one kecamatan.

    People born on the same day in the same kecamatan are numbered 0001, 0002, ...; so are the
    family cards issued there on one day.
    """

    def __init__(self, district: str) -> None:
        self.district = district
        self.prefix = district.replace(".", "")
        self.calendar = _calendar()
        self._births: dict[str, int] = {}
        self._issues: dict[str, int] = {}

    def nik(self, birth: int, sex: str) -> tuple[str, int]:
        """A NIK for someone born on day ``birth``, and the birth day it encodes.

        Should a day's 9,999 numbers run out, the birth moves to a neighbouring day.
        """
        codes = self.calendar.ddmmyy_women if sex == "P" else self.calendar.ddmmyy
        step = -1 if birth > _LAST // 2 else 1
        while True:
            code = codes[birth]
            serial = self._births.get(code, 0) + 1
            if serial <= MAX_SERIAL:
                self._births[code] = serial
                return f"{self.prefix}{code}{serial:04d}", birth
            birth += step

    def kk(self, issued: int) -> str:
        """A KK number for a card issued on day ``issued`` (a later day if that one is full)."""
        codes = self.calendar.ddmmyy
        while True:
            code = codes[issued]
            serial = self._issues.get(code, 0) + 1
            if serial <= MAX_SERIAL:
                self._issues[code] = serial
                return f"{self.prefix}{code}{serial:04d}"
            issued = issued + 1 if issued < _LAST else _FIRST_KK_ISSUE


#: Order of relationships on a family card; within one, the eldest first.
_KK_ORDER = {
    "kepala_keluarga": 0,
    "istri": 1,
    "suami": 1,
    "anak": 2,
    "menantu": 3,
    "cucu": 4,
    "orang_tua": 5,
    "mertua": 6,
    "famili_lain": 7,
    "lainnya": 8,
}


@dataclass(slots=True)
class _Person:
    relationship: str
    sex: str
    birth: int  # day index, see _Calendar
    culture: str  # key of names.CULTURES
    #: Whose family name this person may carry (the father; for a parent of the head, the head).
    lineage: _Person | None = None
    name: str = ""
    #: The part of the name children may inherit.
    family: str = ""


def _kk_order(person: _Person) -> tuple[int, int]:
    return _KK_ORDER[person.relationship], person.birth
