"""A decision's reason codes (``DECISION_REASONS`` in configuration), stored
as ``Ticket.decision_reasons`` (``;``-separated), with their labels.

The codes are configuration so that a ministry rule change needs no code
change; a configured code without a label here is shown as the code itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from portal.tickets.workflow import ACCEPTED, REJECTED

LABELS = {
    "meets_criteria": _l("The household meets the criteria"),
    "conditions_confirmed": _l("The conditions described were confirmed"),
    "data_corrected": _l("The data was wrong and will be corrected"),
    "documents_valid": _l("The documents sent are valid"),
    "not_meeting_criteria": _l("The household does not meet the criteria"),
    "conditions_not_confirmed": _l("The conditions described could not be confirmed"),
    "documents_missing": _l("Required documents are missing or not valid"),
    "outside_area": _l("The household does not live in this area"),
    "already_registered": _l("The household is already registered correctly"),
}


def reason_codes(config: Mapping, outcome: str) -> tuple[str, ...]:
    """The codes configured for ``outcome`` (``accepted`` or ``rejected``)."""
    if outcome not in (ACCEPTED, REJECTED):
        raise ValueError(f"not a decision: {outcome}")
    return tuple((config.get("DECISION_REASONS") or {}).get(outcome, ()))


def label(code: str) -> str:
    return str(LABELS[code]) if code in LABELS else code


def choices(config: Mapping, outcome: str) -> list[tuple[str, str]]:
    return [(code, label(code)) for code in reason_codes(config, outcome)]


def stored(codes: list[str] | tuple[str, ...]) -> str:
    """The column value; refuses what could not be split back."""
    if not codes or any(not code or ";" in code for code in codes):
        raise ValueError("a decision needs reason codes without ';'")
    return ";".join(codes)


def labels_of(ticket_reasons: str | None) -> list[str]:
    return [label(code) for code in (ticket_reasons or "").split(";") if code]
