"""Synthetic DTSEN snapshots for development, demos and load tests.

Writes the registry CSV of DESIGN.md §5, one row per person, the rows of a household (one KK)
together and the head of the family (*kepala keluarga*) first. Everything comes from one
``random.Random(seed)``, so the same arguments give the same bytes.

Identity numbers follow the Dukcapil structure:

* NIK: ``PPRRDD`` (the kecamatan of the household's village), the birth date ``DDMMYY`` with 40
  added to the day for women, and a four-digit *nomor urut* 0001-9999.
* Nomor KK: ``PPRRDD``, the card's issue date ``DDMMYY`` and a four-digit nomor urut.

Both nomor urut are counted per kecamatan and per day. Villages are visited in code order, so
each kecamatan is generated in one go and only its counters need to be kept: numbers are unique
over the whole file while memory stays flat however many households are written.

Everyone is born between 1935 and the snapshot date (31 December 2025): ``lokal.parse_nik``
reads a two-digit year as 20yy when it is not after the current year, so a birth before
(current year - 100) would come back a century late.

This module picks the villages and spreads the households over them;
``synthetic_identity`` holds the calendar and the NIK/KK numbering,
``synthetic_households`` the household factory, ``synthetic_tables`` its
weighted tables.
"""

from __future__ import annotations

import csv
import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lokal import wilayah

from portal.registry.schema import CSV_COLUMNS
from portal.registry.synthetic_households import _HouseholdFactory, _is_kelurahan
from portal.registry.synthetic_identity import _SerialBook


@dataclass
class GenerateStats:
    households: int = 0
    persons: int = 0
    villages: int = 0


def generate_csv(
    out: Path,
    *,
    households: int,
    seed: int,
    regions: Sequence[str] | None = None,
) -> GenerateStats:
    """Write a synthetic snapshot of ``households`` households to ``out``.

    ``regions`` limits the villages to codes starting with one of the prefixes ("32.01",
    "32.01.01"; "3201" is read as "32.01"). A prefix that matches no village is a ValueError.
    """
    if households < 0:
        raise ValueError("households must not be negative")
    villages = _select_villages(regions)
    rng = random.Random(seed)
    allocation = _allocate(villages, households, rng)
    factory = _HouseholdFactory(rng)
    stats = GenerateStats()
    serials: _SerialBook | None = None
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for code, name, count in allocation:
            if serials is None or serials.district != code[:8]:
                serials = _SerialBook(code[:8])
            village = factory.village(code, name)
            for _ in range(count):
                rows = factory.household_rows(village, serials)
                writer.writerows(rows)
                stats.persons += len(rows)
            stats.households += count
            stats.villages += 1
    return stats


# --- Where households live ---------------------------------------------------------------------


def _select_villages(regions: Sequence[str] | None) -> list[tuple[str, str]]:
    """(code, name) of the villages to use, in code order."""
    villages = sorted(wilayah._desa().items())
    if not regions:
        return villages
    prefixes = tuple(wilayah.normalize_wilayah_code(p) for p in regions)
    for prefix in prefixes:
        if not prefix or not any(code.startswith(prefix) for code, _ in villages):
            raise ValueError(f"no village code starts with {prefix!r}")
    return [(code, name) for code, name in villages if code.startswith(prefixes)]


def _allocate(
    villages: list[tuple[str, str]], households: int, rng: random.Random
) -> list[tuple[str, str, int]]:
    """How many households each village gets: (code, name, count), villages with none left out.

    A village's expected share follows its province's population, split over the province's
    villages (a kelurahan, being a town, counting 2.5 desa), times a random size factor.
    Households are then spread by systematic sampling proportional to that size: the counts
    add up exactly and a small snapshot lands in villages all over the selection.
    """
    people_per_unit = _people_per_village_unit()
    weights = [
        int(people_per_unit.get(code[:2], 1.0) * _village_units(code) * rng.lognormvariate(0, 0.5))
        + 1
        for code, _ in villages
    ]
    total = sum(weights)
    offset = rng.randrange(total)
    allocation = []
    cumulative = before = 0
    for (code, name), weight in zip(villages, weights, strict=True):
        cumulative += weight
        upto = (households * cumulative + offset) // total
        if upto > before:
            allocation.append((code, name, upto - before))
        before = upto
    return allocation


#: Population by province in thousands (BPS projections for mid-2024, rounded).
_PROVINCE_POPULATION = {
    "11": 5555, "12": 15589, "13": 5837, "14": 6728, "15": 3724, "16": 8838, "17": 2112,
    "18": 9419, "19": 1531, "21": 2184, "31": 10684, "32": 50345, "33": 37892, "34": 3760,
    "35": 41814, "36": 12432, "51": 4433, "52": 5646, "53": 5657, "61": 5623, "62": 2809,
    "63": 4219, "64": 4045, "65": 743, "71": 2702, "72": 3122, "73": 9463, "74": 2793,
    "75": 1218, "76": 1503, "81": 1945, "82": 1355, "91": 1061, "92": 570, "93": 531,
    "94": 1452, "95": 1456, "96": 628,
}  # fmt: skip


def _village_units(code: str) -> float:
    return 2.5 if _is_kelurahan(code) else 1.0


@functools.cache
def _people_per_village_unit() -> dict[str, float]:
    """Population (in persons) per desa-sized unit of each province, over all its villages."""
    units: dict[str, float] = {}
    for code in wilayah._desa():
        units[code[:2]] = units.get(code[:2], 0.0) + _village_units(code)
    return {
        province: 1000 * _PROVINCE_POPULATION.get(province, 1000) / count
        for province, count in units.items()
    }
