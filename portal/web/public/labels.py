"""Plain-language labels for registry codes (programmes, relationships).

The labels are msgids, marked with ``N_`` for extraction and translated where
they are shown (``{{ _(label) }}``): the lookup result renders them on every
request, and a plain string costs less there than a lazy one.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.registry.lookup import HouseholdStatus


def N_(msgid: str) -> str:
    """Marks ``msgid`` for extraction (Babel knows ``N_``); the template translates it."""
    return msgid


PROGRAM_NAMES = {
    "PKH": N_("PKH (Program Keluarga Harapan)"),
    "SEMBAKO": N_("Sembako / BPNT (food aid)"),
    "PBI_JK": N_("PBI-JK (free national health insurance)"),
}

RELATIONSHIP_LABELS = {
    "kepala_keluarga": N_("Head of family"),
    "istri": N_("Wife"),
    "suami": N_("Husband"),
    "anak": N_("Child"),
    "menantu": N_("Son- or daughter-in-law"),
    "cucu": N_("Grandchild"),
    "orang_tua": N_("Parent"),
    "mertua": N_("Parent-in-law"),
    "famili_lain": N_("Other relative"),
    "lainnya": N_("Other"),
}


@dataclass(frozen=True)
class ProgramLine:
    code: str
    name: str | None  # a msgid the template translates; None for an unknown code
    receives: bool
    max_desil: int | None  # None: a received programme the rules do not list


def program_lines(status: HouseholdStatus, rules: dict[str, int]) -> list[ProgramLine]:
    """Every configured programme: whether the household receives it, and the
    desil ceiling the template turns into a sentence; then every programme the
    household receives that the rules do not list, never hidden (the template
    shows an unknown code as given, escaped)."""
    lines = [
        ProgramLine(code, PROGRAM_NAMES.get(code), code in status.programs, max_desil)
        for code, max_desil in rules.items()
    ]
    lines += [
        ProgramLine(code, PROGRAM_NAMES.get(code), True, None)
        for code in status.programs
        if code not in rules
    ]
    return lines
