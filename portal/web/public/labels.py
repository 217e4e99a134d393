"""Plain-language labels for registry codes (programmes, relationships)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.registry.lookup import HouseholdStatus

PROGRAM_NAMES = {
    "PKH": _l("PKH (Program Keluarga Harapan)"),
    "SEMBAKO": _l("Sembako / BPNT (food aid)"),
    "PBI_JK": _l("PBI-JK (free national health insurance)"),
}

RELATIONSHIP_LABELS = {
    "kepala_keluarga": _l("Head of family"),
    "istri": _l("Wife"),
    "suami": _l("Husband"),
    "anak": _l("Child"),
    "menantu": _l("Son- or daughter-in-law"),
    "cucu": _l("Grandchild"),
    "orang_tua": _l("Parent"),
    "mertua": _l("Parent-in-law"),
    "famili_lain": _l("Other relative"),
    "lainnya": _l("Other"),
}


@dataclass(frozen=True)
class ProgramLine:
    code: str
    name: object  # a lazy translated string, rendered in the template
    receives: bool
    max_desil: int


def program_lines(status: HouseholdStatus, rules: dict[str, int]) -> list[ProgramLine]:
    """Every configured programme: whether the household receives it, and the
    desil ceiling the template turns into a sentence."""
    return [
        ProgramLine(code, PROGRAM_NAMES.get(code, code), code in status.programs, max_desil)
        for code, max_desil in rules.items()
    ]
