""" "Why is my desil this?" on the lookup result (issue 15 §3).

What the portal can honestly say about a desil, and nothing it cannot:

* BPS (Statistics Indonesia) ranks households from the registry's data; the
  weights are not published to this portal, so the page names the kinds of
  data the ranking takes into account (``templates/public/_desil_why.html``), never a formula or
  a score.
* The house conditions the registry holds for this household, in words
  (``house_conditions``), so the resident can check them for mistakes. They
  are shown although SECURITY.md LK1 lists only status, desil, programmes and
  masked names: the issue (newer) asks for them, they describe the house and
  not a person, and the address, the KK number and full names stay out
  (``portal.registry.lookup``).
* The data's date and when the next update is expected (``DTSEN_NEXT_UPDATE``:
  ``YYYY-MM-DD``, ``YYYY-MM`` or free words; unset: "not announced yet").
* One action for the resident's case (``next_step``), from this table:

  ====================================  ===============================================
  case                                  what to do
  ====================================  ===============================================
  not in the latest DTSEN data          propose the household (usulan, own household)
  in the data, not ranked (no desil)    correct the data if a condition is wrong;
                                        if all is right, wait for the next update
  desil 1                               correct the data if a condition is wrong
                                        (no desil is lower: an objection cannot help)
  desil 2–10                            correct the data if a condition is wrong;
                                        if all is right and the desil still seems
                                        too high, object (sanggahan)
  ====================================  ===============================================

  Wrong data comes first: BPS ranks from the data, so an objection over wrong
  data ends as a correction anyway. A household that is not found at all is
  sent to a proposal by ``lookup_not_found.html``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import format_date

from portal.registry.lookup import HouseholdStatus
from portal.web.public.labels import N_

#: The words of the field officer's visit form (portal/web/office/visit_labels.py),
#: so the resident and the officer name a condition alike; the msgids are shared.
CONDITION_LABELS = {
    "floor_area_m2": N_("Floor area (m²)"),
    "floor_material": N_("Floor"),
    "wall_material": N_("Walls"),
    "roof_material": N_("Roof"),
    "drinking_water": N_("Drinking water"),
    "lighting_source": N_("Lighting"),
    "cooking_fuel": N_("Cooking fuel"),
    "toilet_facility": N_("Toilet"),
    "home_ownership": N_("Home ownership"),
}

VALUE_LABELS = {
    "floor_material": {
        "tanah": N_("Earth"),
        "bambu": N_("Bamboo"),
        "kayu": N_("Wood or boards"),
        "semen": N_("Cement or red brick"),
        "keramik": N_("Ceramic tiles"),
        "marmer": N_("Marble or granite"),
    },
    "wall_material": {
        "bambu": N_("Bamboo"),
        "kayu": N_("Wood or boards"),
        "anyaman": N_("Woven bamboo or palm"),
        "tembok_tanpa_plester": N_("Brick wall, not plastered"),
        "tembok": N_("Brick wall, plastered"),
    },
    "roof_material": {
        "ijuk_rumbia": N_("Palm fibre or thatch"),
        "seng": N_("Corrugated zinc"),
        "asbes": N_("Asbestos"),
        "genteng": N_("Roof tiles"),
        "beton": N_("Concrete"),
    },
    "drinking_water": {
        "air_kemasan": N_("Bottled or refill water"),
        "ledeng": N_("Piped water"),
        "sumur_bor": N_("Bore well or pump"),
        "sumur_terlindung": N_("Protected well"),
        "sumur_tak_terlindung": N_("Unprotected well"),
        "mata_air": N_("Spring"),
        "air_hujan": N_("Rainwater"),
        "sungai": N_("River, lake or pond"),
    },
    "lighting_source": {
        "pln_meteran": N_("PLN electricity with a meter"),
        "pln_tanpa_meteran": N_("PLN electricity without a meter"),
        "non_pln": N_("Electricity not from PLN"),
        "tidak_ada": N_("No electricity"),
    },
    "cooking_fuel": {
        "listrik": N_("Electricity"),
        "gas_elpiji": N_("LPG"),
        "gas_kota": N_("Piped gas"),
        "minyak_tanah": N_("Kerosene"),
        "kayu_bakar": N_("Firewood"),
        "arang": N_("Charcoal"),
        "tidak_memasak": N_("Does not cook at home"),
    },
    "toilet_facility": {
        "sendiri_leher_angsa": N_("Own toilet with a gooseneck"),
        "bersama": N_("Shared toilet"),
        "umum": N_("Public toilet"),
        "tidak_ada": N_("No toilet"),
    },
    "home_ownership": {
        "milik_sendiri": N_("Owned"),
        "kontrak_sewa": N_("Rented"),
        "bebas_sewa": N_("Lives there rent-free"),
        "dinas": N_("Official housing"),
        "lainnya": N_("Other"),
    },
}


@dataclass(frozen=True)
class ConditionLine:
    label: str  # a msgid
    value: str | None  # what was recorded, as recorded; None: empty in the data
    value_label: str | None  # a msgid for a known code; None: show ``value`` as it is


@dataclass(frozen=True)
class Step:
    """The action for the resident's case: ``kind`` and ``subkind`` of the
    request it starts; ``object_too`` adds the objection for right data."""

    kind: str
    subkind: str | None
    object_too: bool = False


@dataclass(frozen=True)
class DesilWhy:
    conditions: tuple[ConditionLine, ...]
    members: int
    step: Step
    next_update: str | None  # words in the page's language; None: not announced


def house_conditions(status: HouseholdStatus) -> tuple[ConditionLine, ...]:
    """The recorded conditions in words; a code without a label as it is."""
    lines = []
    for column, value in status.conditions:
        shown = None if value is None or value == "" else str(value)
        lines.append(
            ConditionLine(CONDITION_LABELS[column], shown, VALUE_LABELS.get(column, {}).get(shown))
        )
    return tuple(lines)


def next_step(status: HouseholdStatus) -> Step:
    """The table in this module's docstring."""
    if not status.in_registry:
        return Step("proposal", "own_household")
    return Step("correction", None, object_too=status.desil is not None and status.desil > 1)


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def next_update_words(setting: str | None) -> str | None:
    """``DTSEN_NEXT_UPDATE`` in the page's language: a date (``2027-03-01``)
    or a month (``2027-03``) formatted, other words as the operator wrote them."""
    text = (setting or "").strip()
    if not text:
        return None
    try:
        return format_date(dt.date.fromisoformat(text), "long")
    except ValueError:
        pass
    month = _MONTH.match(text)
    if month and 1 <= int(month[2]) <= 12:
        return format_date(dt.date(int(month[1]), int(month[2]), 1), "MMMM y")
    return text


def explain(status: HouseholdStatus, next_update: str | None) -> DesilWhy:
    """Everything the explanation shows beyond ``status``; ``next_update``:
    the ``DTSEN_NEXT_UPDATE`` setting."""
    return DesilWhy(
        conditions=house_conditions(status),
        members=len(status.members),
        step=next_step(status),
        next_update=next_update_words(next_update),
    )
