"""The weighted choices behind the synthetic snapshot (``synthetic.py``):
household sizes, desil distributions, programme take-up and house conditions
by wealth tier. Data with a thin helper, kept apart so the generator reads as
an algorithm. Names stay underscored: nothing outside the generator (and its
tests) should lean on these numbers.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Generic, TypeVar

# --- Weighted choices --------------------------------------------------

T = TypeVar("T")


class _Choice(Generic[T]):
    """A weighted choice with its cumulative weights computed once: ``pick(rng.random())``."""

    __slots__ = ("_cumulative", "_last", "_total", "values")

    def __init__(self, weighted: Iterable[tuple[T, float]]) -> None:
        self.values: list[T] = []
        self._cumulative: list[float] = []
        total = 0.0
        for value, weight in weighted:
            total += weight
            self.values.append(value)
            self._cumulative.append(total)
        self._total = total
        self._last = len(self.values) - 1

    def pick(self, u: float) -> T:
        return self.values[bisect.bisect(self._cumulative, u * self._total, 0, self._last)]


#: Household sizes 1-9 (mean about 3.9, as in Susenas).
_SIZES = _Choice(zip(range(1, 10), (7, 14, 20, 24, 17, 10, 5, 2, 1), strict=True))

#: Desil 1-10 among ranked households; the registry holds more of the poor than the rich.
_DESIL_RURAL = _Choice(zip(range(1, 11), (15, 14, 13, 11, 10, 9, 8, 8, 6, 6), strict=True))
_DESIL_URBAN = _Choice(zip(range(1, 11), (8, 9, 10, 10, 10, 11, 11, 11, 10, 10), strict=True))
_UNRANKED_SHARE = 0.07

#: Chance that an eligible household receives a programme, by desil (index 0 = desil 1).
#: PKH is for desil 1-4, Sembako and PBI-JK for desil 1-5; not every eligible family gets them.
_TAKE_UP: dict[str, tuple[float, ...]] = {
    "PKH": (0.55, 0.45, 0.30, 0.15),
    "SEMBAKO": (0.65, 0.55, 0.45, 0.30, 0.15),
    "PBI_JK": (0.80, 0.75, 0.65, 0.50, 0.30),
}
#: PKH needs a "component" (children, elderly; pregnancy and disability are not modelled).
_PKH_WITHOUT_COMPONENT = 0.1

#: Weights of each condition value by wealth tier: desil 1-2, 3-4, 5-6, 7-8, 9-10.
_CONDITION_WEIGHTS: dict[str, dict[str, tuple[int, int, int, int, int]]] = {
    "floor_material": {
        "tanah": (25, 12, 5, 2, 0),
        "bambu": (8, 4, 2, 1, 0),
        "kayu": (20, 16, 12, 8, 4),
        "semen": (35, 40, 33, 22, 10),
        "keramik": (12, 28, 48, 66, 82),
        "marmer": (0, 0, 0, 1, 4),
    },
    "wall_material": {
        "bambu": (30, 15, 6, 2, 0),
        "kayu": (25, 22, 16, 10, 5),
        "anyaman": (15, 8, 3, 1, 0),
        "tembok_tanpa_plester": (15, 20, 15, 8, 3),
        "tembok": (15, 35, 60, 79, 92),
    },
    "roof_material": {
        "ijuk_rumbia": (6, 3, 1, 0, 0),
        "seng": (20, 18, 14, 10, 6),
        "asbes": (14, 16, 16, 12, 6),
        "genteng": (60, 62, 66, 70, 70),
        "beton": (0, 1, 3, 8, 18),
    },
    "drinking_water": {
        "air_kemasan": (8, 15, 25, 38, 52),
        "ledeng": (6, 8, 10, 12, 14),
        "sumur_bor": (18, 24, 28, 28, 24),
        "sumur_terlindung": (22, 22, 18, 12, 6),
        "sumur_tak_terlindung": (16, 10, 6, 3, 1),
        "mata_air": (14, 11, 8, 5, 2),
        "air_hujan": (8, 6, 3, 1, 1),
        "sungai": (8, 4, 2, 1, 0),
    },
    "lighting_source": {
        "pln_meteran": (70, 82, 90, 95, 98),
        "pln_tanpa_meteran": (18, 11, 6, 3, 1),
        "non_pln": (10, 6, 4, 2, 1),
        "tidak_ada": (2, 1, 0, 0, 0),
    },
    "cooking_fuel": {
        "listrik": (0, 1, 1, 3, 8),
        "gas_elpiji": (55, 70, 82, 88, 82),
        "gas_kota": (0, 0, 1, 2, 5),
        "minyak_tanah": (6, 5, 3, 1, 0),
        "kayu_bakar": (35, 21, 11, 4, 1),
        "arang": (2, 1, 0, 0, 0),
        "tidak_memasak": (2, 2, 2, 2, 4),
    },
    "toilet_facility": {
        "sendiri_leher_angsa": (55, 70, 82, 92, 97),
        "bersama": (18, 14, 10, 5, 2),
        "umum": (9, 6, 3, 1, 0),
        "tidak_ada": (18, 10, 5, 2, 1),
    },
    "home_ownership": {
        "milik_sendiri": (72, 78, 80, 80, 82),
        "kontrak_sewa": (8, 9, 11, 13, 12),
        "bebas_sewa": (16, 11, 7, 4, 2),
        "dinas": (0, 0, 1, 2, 3),
        "lainnya": (4, 2, 1, 1, 1),
    },
}
#: Multipliers on the weights above in towns (kelurahan).
_URBAN_FACTORS: dict[str, dict[str, float]] = {
    "drinking_water": {
        "air_kemasan": 1.6,
        "ledeng": 2.5,
        "mata_air": 0.3,
        "air_hujan": 0.5,
        "sumur_tak_terlindung": 0.5,
        "sungai": 0.2,
    },
    "cooking_fuel": {"kayu_bakar": 0.3, "gas_kota": 3.0},
    "home_ownership": {"kontrak_sewa": 2.5},
}
#: Multipliers on the weights above outside Java and Bali.
_OUTER_ISLANDS_FACTORS: dict[str, dict[str, float]] = {
    "floor_material": {"kayu": 2.0},
    "wall_material": {"kayu": 2.5, "tembok": 0.7},
    "roof_material": {"seng": 4.0, "genteng": 0.2, "ijuk_rumbia": 1.5},
    "lighting_source": {"non_pln": 2.5, "tidak_ada": 2.0},
    "cooking_fuel": {"minyak_tanah": 3.0},
}
_TIERS = 5


def _condition_choices(urban: bool, java_bali: bool) -> dict[str, tuple[_Choice[str], ...]]:
    """For each condition column, one weighted choice per wealth tier."""
    choices = {}
    for column, table in _CONDITION_WEIGHTS.items():
        factors = dict.fromkeys(table, 1.0)
        for applies, extra in ((urban, _URBAN_FACTORS), (not java_bali, _OUTER_ISLANDS_FACTORS)):
            if applies:
                for value, factor in extra.get(column, {}).items():
                    factors[value] *= factor
        choices[column] = tuple(
            _Choice((value, weights[tier] * factors[value]) for value, weights in table.items())
            for tier in range(_TIERS)
        )
    return choices
