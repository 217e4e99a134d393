"""Words for a field visit: the house-condition variables of DESIGN.md §5,
their registry codes (``portal.registry.schema.CONDITION_VALUES``), the
recommendations and the refusals."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

VARIABLE_LABELS = {
    "floor_area_m2": _l("Floor area (m²)"),
    "floor_material": _l("Floor"),
    "wall_material": _l("Walls"),
    "roof_material": _l("Roof"),
    "drinking_water": _l("Drinking water"),
    "lighting_source": _l("Lighting"),
    "cooking_fuel": _l("Cooking fuel"),
    "toilet_facility": _l("Toilet"),
    "home_ownership": _l("Home ownership"),
    "household_size": _l("Household members"),
}

#: Registry code → words, per variable.
VALUE_LABELS = {
    "floor_material": {
        "tanah": _l("Earth"),
        "bambu": _l("Bamboo"),
        "kayu": _l("Wood or boards"),
        "semen": _l("Cement or red brick"),
        "keramik": _l("Ceramic tiles"),
        "marmer": _l("Marble or granite"),
    },
    "wall_material": {
        "bambu": _l("Bamboo"),
        "kayu": _l("Wood or boards"),
        "anyaman": _l("Woven bamboo or palm"),
        "tembok_tanpa_plester": _l("Brick wall, not plastered"),
        "tembok": _l("Brick wall, plastered"),
    },
    "roof_material": {
        "ijuk_rumbia": _l("Palm fibre or thatch"),
        "seng": _l("Corrugated zinc"),
        "asbes": _l("Asbestos"),
        "genteng": _l("Roof tiles"),
        "beton": _l("Concrete"),
    },
    "drinking_water": {
        "air_kemasan": _l("Bottled or refill water"),
        "ledeng": _l("Piped water"),
        "sumur_bor": _l("Bore well or pump"),
        "sumur_terlindung": _l("Protected well"),
        "sumur_tak_terlindung": _l("Unprotected well"),
        "mata_air": _l("Spring"),
        "air_hujan": _l("Rainwater"),
        "sungai": _l("River, lake or pond"),
    },
    "lighting_source": {
        "pln_meteran": _l("PLN electricity with a meter"),
        "pln_tanpa_meteran": _l("PLN electricity without a meter"),
        "non_pln": _l("Electricity not from PLN"),
        "tidak_ada": _l("No electricity"),
    },
    "cooking_fuel": {
        "listrik": _l("Electricity"),
        "gas_elpiji": _l("LPG"),
        "gas_kota": _l("Piped gas"),
        "minyak_tanah": _l("Kerosene"),
        "kayu_bakar": _l("Firewood"),
        "arang": _l("Charcoal"),
        "tidak_memasak": _l("Does not cook at home"),
    },
    "toilet_facility": {
        "sendiri_leher_angsa": _l("Own toilet with a gooseneck"),
        "bersama": _l("Shared toilet"),
        "umum": _l("Public toilet"),
        "tidak_ada": _l("No toilet"),
    },
    "home_ownership": {
        "milik_sendiri": _l("Owned"),
        "kontrak_sewa": _l("Rented"),
        "bebas_sewa": _l("Lives there rent-free"),
        "dinas": _l("Official housing"),
        "lainnya": _l("Other"),
    },
}

RECOMMENDATION_LABELS = {
    "registry_right": _l("The registry is right"),
    "request_right": _l("The request is right: the registry should change"),
    "unclear": _l("Unclear: more checking is needed"),
}

PHOTO_TYPE_LABELS = {
    "house_front": _l("Front of the house"),
    "house_inside": _l("Inside the house"),
    "other": _l("Something else"),
}

REFUSALS = {
    "not_field_check": _l(
        "A field visit can only be recorded while the ticket is in the field check step"
    ),
    "not_office": _l("Only the office handling the ticket can record a field visit"),
    "future_date": _l("The date of the visit cannot be in the future"),
    "before_submission": _l("The date of the visit cannot be before the request was sent"),
    "bad_officer": _l("Select an officer of this office"),
    "bad_value": _l("Select what the officer saw from the list"),
    "bad_recommendation": _l("Select a recommendation"),
    "bad_photo": _l("A photo of the visit must be a JPG, PNG or WebP picture"),
    "notes_too_long": _l("The notes must be 4000 characters or fewer"),
}


def value_label(variable: str, value) -> str:
    """A registry value in words; numbers as they are, unknown as a dash."""
    if value is None:
        return "–"
    labels = VALUE_LABELS.get(variable)
    return str(labels.get(value, value)) if labels else str(value)
