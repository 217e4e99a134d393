"""The DTSEN snapshot CSV format (DESIGN.md §5), shared by the synthetic
generator and the importer."""

from __future__ import annotations

from portal.registry.models import CONDITION_COLUMNS

CSV_COLUMNS: tuple[str, ...] = (
    "kk_number",
    "nik",
    "full_name",
    "relationship",
    "sex",
    "birth_date",
    "village_code",
    "address",
    "desil",
    "programs",
    *CONDITION_COLUMNS,
    "updated_at",
)

#: Columns that must be equal on every row of one ``kk_number``.
HOUSEHOLD_COLUMNS: tuple[str, ...] = (
    "village_code",
    "address",
    "desil",
    "programs",
    *CONDITION_COLUMNS,
)

PROGRAM_CODES: tuple[str, ...] = ("PKH", "SEMBAKO", "PBI_JK")

#: Allowed values of the categorical condition columns.
CONDITION_VALUES: dict[str, tuple[str, ...]] = {
    "floor_material": ("tanah", "bambu", "kayu", "semen", "keramik", "marmer"),
    "wall_material": ("bambu", "kayu", "anyaman", "tembok_tanpa_plester", "tembok"),
    "roof_material": ("ijuk_rumbia", "seng", "asbes", "genteng", "beton"),
    "drinking_water": (
        "air_kemasan",
        "ledeng",
        "sumur_bor",
        "sumur_terlindung",
        "sumur_tak_terlindung",
        "mata_air",
        "air_hujan",
        "sungai",
    ),
    "lighting_source": ("pln_meteran", "pln_tanpa_meteran", "non_pln", "tidak_ada"),
    "cooking_fuel": (
        "listrik",
        "gas_elpiji",
        "gas_kota",
        "minyak_tanah",
        "kayu_bakar",
        "arang",
        "tidak_memasak",
    ),
    "toilet_facility": ("sendiri_leher_angsa", "bersama", "umum", "tidak_ada"),
    "home_ownership": ("milik_sendiri", "kontrak_sewa", "bebas_sewa", "dinas", "lainnya"),
}
