"""A partner's Open311 ``POST requests`` form, checked and turned into the
``TicketAnswers`` the web journey would have made (``service.submit_ticket``
then creates the ticket the same way).

The fields are the contract's (HELPERS.md "The Open311 contract"):
``service_code`` (a kind), ``address_id`` (a village code), ``description``,
``email``/``phone``/``first_name``/``last_name`` and the service
definition's attributes sent as ``attribute[<code>]=value``.

Every refusal is an ``Open311Error`` (400) whose description says which
field is wrong and what it must be, in English, and never repeats what was
sent (it may be a NIK or a name). Nothing here writes to the database.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from lokal import parse_nik
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from forms.submit import DETAILS_MAX, PHONE, PHONE_SEPARATORS
from forms.validators import normalise_nik
from portal.crypto import Keyring
from portal.extensions import db
from portal.regions.models import VILLAGE, Region
from portal.regions.routing import VILLAGE_CODE
from portal.registry.lookup import find_household
from portal.registry.models import Household
from portal.tickets.models import KINDS, LANGS, SUBKINDS
from portal.tickets.service import MEMBER_SUBKINDS, TicketAnswers, find_open_duplicate
from portal.web.api.open311.formats import Open311Error
from portal.web.public.journey import CONSENT_VERSION
from portal.web.public.ticket_labels import EXPLAIN_REASONS, REASONS

#: The service definition's attribute codes (read.py describes them).
ATTRIBUTES = (
    "subkind",
    "reason",
    "household_nik",
    "household_name",
    "subject_name",
    "subject_address",
    "consent",
    "reporter_confidential",
)
ATTRIBUTE = re.compile(r"attribute\[([^\]]*)\]")
#: Subkinds about the reporter's own registry entry (``Journey.needs_registry_household``).
REGISTRY_ONLY = {("objection", "own_ranking")} | {("correction", s) for s in SUBKINDS["correction"]}
NAME_MAX, ADDRESS_MAX, CONTACT_MAX, PERSON_NAME_MAX = 120, 200, 120, 60
UNDOTTED_VILLAGE = re.compile(r"[0-9]{10}")


def bad(description: str) -> Open311Error:
    return Open311Error(400, description)


def attributes_of(form: MultiDict) -> dict[str, str]:
    """``{code: value}`` of the ``attribute[code]`` fields; one value each."""
    found: dict[str, str] = {}
    for key in form:
        match = ATTRIBUTE.fullmatch(key)
        if match is None:
            continue
        code = match.group(1)
        if code not in ATTRIBUTES:
            raise bad(
                "The request has an attribute the service does not define: send only the "
                "attributes of its service definition (services/<service_code>.json)."
            )
        values = form.getlist(key)
        if len(values) != 1:
            raise bad(f"attribute[{code}] takes one value.")
        found[code] = values[0].strip()
    return found


def kind_of(form: MultiDict) -> str:
    kind = (form.get("service_code") or "").strip()
    if kind not in KINDS:
        raise bad(
            "service_code is missing or is not a service: use proposal, objection or correction."
        )
    return kind


def village_of(form: MultiDict) -> str:
    """``address_id``: the Kemendagri code of an existing desa/kelurahan."""
    code = (form.get("address_id") or "").strip()
    if UNDOTTED_VILLAGE.fullmatch(code):
        code = f"{code[:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}"
    known = VILLAGE_CODE.fullmatch(code) and db.session.scalar(
        select(Region.code).where(Region.code == code, Region.level == VILLAGE)
    )
    if not known:
        raise bad(
            "address_id is missing or is not a village: send the Kemendagri code of a "
            "desa/kelurahan (level 4), for example 32.01.01.2001."
        )
    return code


def _text(form_or_attrs, name: str, label: str, most: int) -> str | None:
    value = (form_or_attrs.get(name) or "").strip()
    if len(value) > most:
        raise bad(f"{label} must be {most} characters or fewer.")
    return value or None


def contact_of(form: MultiDict) -> str | None:
    """The reporter's phone (preferred: most residents read SMS) or email, as
    the web journey's contact question keeps one. ``first_name`` and
    ``last_name`` are checked and not kept: notifications need only the address."""
    _text(form, "first_name", "first_name", PERSON_NAME_MAX)
    _text(form, "last_name", "last_name", PERSON_NAME_MAX)
    email = _text(form, "email", "email", CONTACT_MAX)
    phone = _text(form, "phone", "phone", CONTACT_MAX)
    if email is not None:
        try:
            validate_email(email, check_deliverability=False, allow_smtputf8=False)
        except EmailNotValidError:
            raise bad("email is not an email address like name@example.com.") from None
    if phone is not None:
        phone = PHONE_SEPARATORS.sub("", phone)
        if not PHONE.fullmatch(phone):
            raise bad("phone is not an Indonesian phone number like 0812 3456 7890 or +62812….")
    return phone or email


def household_of(attrs: dict, keyring: Keyring, village: str) -> int | None:
    """The registry household ``household_nik`` + ``household_name`` name, as
    the status lookup matches them (``find_household``); None when neither is sent."""
    nik, name = attrs.get("household_nik"), attrs.get("household_name")
    if not nik and not name:
        return None
    if not nik or not name:
        raise bad("attribute[household_nik] and attribute[household_name] go together: send both.")
    digits = normalise_nik(nik)
    if (
        len(digits) != 16
        or not digits.isascii()
        or not digits.isdigit()
        or parse_nik(digits).errors
    ):
        raise bad("attribute[household_nik] is not a valid NIK: 16 digits, as on the KTP.")
    if len(name) > NAME_MAX:
        raise bad(f"attribute[household_name] must be {NAME_MAX} characters or fewer.")
    household_id = find_household(keyring, digits, name)
    if household_id is None:
        raise bad(
            "No registry household matches attribute[household_nik] and "
            "attribute[household_name] (the full name as on the KTP)."
        )
    found = db.session.scalar(select(Household.village_code).where(Household.id == household_id))
    if found != village:
        raise bad("The registry household is not in the village address_id names.")
    return household_id


def reasons_of(kind: str, subkind: str, attrs: dict, details: str | None) -> tuple[str, ...]:
    choices = REASONS.get((kind, subkind), {})
    if not choices:
        if not details:
            raise bad(
                "description is required for this subkind: say what is wrong and what is right."
            )
        return ()
    reason = attrs.get("reason")
    if not reason or reason not in choices:
        raise bad(
            "attribute[reason] is missing or is not a reason of this subkind: see the "
            "service definition's reason values."
        )
    if reason in EXPLAIN_REASONS and not details:
        raise bad("description is required with this reason: write what the reason is.")
    return (reason,)


def answers_from_form(form: MultiDict, keyring: Keyring, lang: str = "id") -> TicketAnswers:
    """The checked answers; raises ``Open311Error`` (400) on the first wrong field."""
    kind = kind_of(form)
    attrs = attributes_of(form)
    subkind = attrs.get("subkind") or ""
    if subkind not in SUBKINDS[kind]:
        raise bad(
            "attribute[subkind] is missing or is not a subkind of this service: see the "
            "service definition's subkind values."
        )
    if attrs.get("consent") != "yes":
        raise bad(
            "attribute[consent] must be yes: the resident agreed to the processing of their data."
        )
    confidential = attrs.get("reporter_confidential") or "no"
    if confidential not in ("yes", "no"):
        raise bad("attribute[reporter_confidential] must be yes or no.")
    details = _text(form, "description", "description", DETAILS_MAX)
    reasons = reasons_of(kind, subkind, attrs, details)
    village = village_of(form)
    contact = contact_of(form)
    household_id = household_of(attrs, keyring, village)
    subject_name = _text(attrs, "subject_name", "attribute[subject_name]", NAME_MAX)
    subject_address = _text(attrs, "subject_address", "attribute[subject_address]", ADDRESS_MAX)
    if household_id is None:
        if (kind, subkind) in REGISTRY_ONLY:
            raise bad(
                "This subkind is about a household in the registry: send "
                "attribute[household_nik] and attribute[household_name]."
            )
        if not subject_name or not subject_address:
            raise bad(
                "Without attribute[household_nik], attribute[subject_name] and "
                "attribute[subject_address] are both required."
            )
    elif subkind not in MEMBER_SUBKINDS and find_open_duplicate(
        kind, household_id=household_id, subkind=subkind
    ):
        raise bad(
            "This household has an open request of this service and subkind under review: "
            "it takes no second one until it is decided."
        )
    return TicketAnswers(
        kind=kind,
        subkind=subkind,
        consent_version=CONSENT_VERSION,
        household_id=household_id,
        village_code=None if household_id is not None else village,
        subject_name=None if household_id is not None else subject_name,
        subject_address=None if household_id is not None else subject_address,
        reason_codes=reasons,
        details=details or "",
        reporter_contact=contact,
        reporter_confidential=confidential == "yes",
        lang=lang if lang in LANGS else "id",
    )
