"""What a partner can ask for: the three services (usulan, sanggahan,
perbaikan data) and each one's service definition, the attributes a POST
sends as ``attribute[<code>]`` (the Open311 contract in issue 13's
HELPERS.md). Built from the ticket model's kinds and subkinds and the web
journey's labels, so the API and the web forms cannot offer different
choices. Words are in the request's language (the caller sets it).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.tickets.models import KINDS, SUBKINDS
from portal.web.public.ticket_labels import KIND_TITLES, REASONS, SUBKIND_LABELS

#: The services' group and keywords: the registry's own Indonesian words.
GROUP = "DTSEN"
KEYWORDS = {
    "proposal": "usulan, rumah tangga, DTSEN, bansos",
    "objection": "sanggahan, desil, DTSEN, bansos",
    "correction": "perbaikan data, KK, DTSEN",
}
#: One line on when to choose each, as the home page says it.
DESCRIPTIONS = {
    "proposal": _l(
        "A household in your village that is not in the data or should receive aid, "
        "including your own."
    ),
    "objection": _l(
        "Your household's welfare level (desil) is wrong, or a household that receives aid "
        "is not eligible. If you report another household, your name is kept secret."
    ),
    "correction": _l(
        "A family member died, was born or moved, a name is wrong, or the condition of "
        "your house has changed."
    ),
}

_SUBKIND = _l("What exactly is asked.")
_REASON = _l("Why: one reason that belongs to the chosen subkind.")
_NIK = _l(
    "The NIK of a member of the household in the DTSEN registry. With household_name; "
    "the household's village must be address_id."
)
_NIK_FORMAT = _l("16 digits")
_NAME = _l("The full name of that member, as on the KTP.")
_SUBJECT_NAME = _l(
    "A household not in the registry (no household_nik): the name of its head. "
    "Required with subject_address then."
)
_SUBJECT_ADDRESS = _l("A household not in the registry: its address in the village address_id.")
_CONSENT = _l(
    "The resident agreed to the processing of their data for this request, as on the "
    "portal's consent page."
)
_CONFIDENTIAL = _l("Keep the reporter's name and contact from everyone but the case handler.")
_YES, _NO = _l("Yes"), _l("No")


def services() -> list[dict]:
    """``GET services``: one entry per kind, in the model's order."""
    return [
        {
            "service_code": kind,
            "service_name": str(KIND_TITLES[kind]),
            "description": str(DESCRIPTIONS[kind]),
            "metadata": True,
            "type": "realtime",
            "keywords": KEYWORDS[kind],
            "group": GROUP,
        }
        for kind in KINDS
    ]


def service_definition(kind: str) -> dict:
    """``GET services/<code>``: the attributes of ``kind`` (one of ``KINDS``)."""
    attributes = [
        _list("subkind", True, _SUBKIND, {s: SUBKIND_LABELS[kind][s] for s in SUBKINDS[kind]})
    ]
    reasons = reason_labels(kind)
    if reasons:
        attributes.append(_list("reason", True, _REASON, reasons))
    attributes += [
        _string("household_nik", _NIK, _NIK_FORMAT),
        _string("household_name", _NAME),
        _string("subject_name", _SUBJECT_NAME),
        _string("subject_address", _SUBJECT_ADDRESS),
        _list("consent", True, _CONSENT, {"yes": _YES}),
        _list("reporter_confidential", False, _CONFIDENTIAL, {"yes": _YES, "no": _NO}),
    ]
    for order, attribute in enumerate(attributes, start=1):
        attribute["order"] = order
    return {"service_code": kind, "attributes": attributes}


def reason_labels(kind: str) -> dict:
    """The reason codes of ``kind``'s subkinds, each once (the first
    subkind's wording), in the journey's order; empty when it has none."""
    labels: dict = {}
    for subkind in SUBKINDS[kind]:
        for code, label in REASONS.get((kind, subkind), {}).items():
            labels.setdefault(code, label)
    return labels


def _list(code: str, required: bool, description, values: dict) -> dict:
    return {
        "variable": True,
        "code": code,
        "datatype": "singlevaluelist",
        "required": required,
        "datatype_description": None,
        "order": 0,
        "description": str(description),
        "values": [{"key": key, "name": str(name)} for key, name in values.items()],
    }


def _string(code: str, description, datatype_description=None) -> dict:
    return {
        "variable": True,
        "code": code,
        "datatype": "string",
        "required": False,
        "datatype_description": str(datatype_description) if datatype_description else None,
        "order": 0,
        "description": str(description),
    }
