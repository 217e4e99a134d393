"""An operator's assisted submission (issue 12 §1): who may submit for a
resident, and the consent they record (``Ticket.consent_method``,
``consent_by_enc``, a ``consent_form`` file).

Checks and seals only; ``service.submit_ticket`` and the addition to a
request under review (``record_addition``) call them in the caller's
transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Protocol

from portal.crypto import Keyring
from portal.extensions import db
from portal.staff.models import StaffUser
from portal.tickets.errors import InvalidAnswers
from portal.tickets.models import CONSENT_METHODS, P_CONSENT_BY, Ticket
from portal.tickets.workflow import Actor, record_event


class _HasDocType(Protocol):
    doc_type: str


def check_operator(staff_id: int, village_code: str) -> StaffUser:
    """The active village operator ``staff_id`` of ``village_code``, or ``InvalidAnswers``."""
    staff = db.session.get(StaffUser, staff_id)
    if staff is None or staff.role != "operator" or not staff.active:
        raise InvalidAnswers(
            "only an active village operator submits for a resident", "not_operator"
        )
    if staff.village_code != village_code:
        raise InvalidAnswers("an operator submits only for their own village", "not_own_village")
    return staff


def check_consent(method: str | None, by: str | None, files: Iterable[_HasDocType]) -> None:
    """The consent an operator recorded: its method, who gave it, one form at most."""
    if method not in CONSENT_METHODS or not by:
        raise InvalidAnswers(
            "the consent record needs its method and who gave it", "consent_missing"
        )
    if sum(1 for f in files if f.doc_type == "consent_form") > 1:
        raise InvalidAnswers("one consent form at most")


def check_assisted(
    method: str | None,
    by: str | None,
    files: Iterable[_HasDocType],
    village_code: str,
    staff_id: int | None,
) -> None:
    """An assisted submission is made by an active operator of the ticket's
    village, always with the consent they recorded; a resident's own has
    neither a consent record nor a consent form."""
    files = list(files)
    if staff_id is None:
        if method or by or any(f.doc_type == "consent_form" for f in files):
            raise InvalidAnswers("a consent record belongs to an assisted submission")
        return
    check_operator(staff_id, village_code)
    check_consent(method, by, files)


def record_addition(
    ticket: Ticket,
    staff_id: int,
    method: str | None,
    by: str | None,
    files: Iterable[_HasDocType],
    *,
    note: str,
    now: dt.datetime,
    keyring: Keyring,
) -> None:
    """An operator added to the household's request under review for a
    resident: the consent to that addition as an internal
    ``assisted_addition`` event whose ``note`` (encrypted, in the
    operator's words) says how and by whom it was given; a photo of the
    signed form is among the files added. Like the assisting operator, the
    event is shown only to staff who may see the reporter (``casefile``)."""
    staff = check_operator(staff_id, ticket.village_code)
    check_consent(method, by, files)
    record_event(
        ticket,
        Actor.staff(staff.id, staff.role),
        "assisted_addition",
        note,
        public=False,
        now=now,
        keyring=keyring,
    )


def seal_consent_by(keyring: Keyring, reference: str, name: str) -> bytes:
    """Who gave consent, bound to the ticket by its reference."""
    return keyring.encrypt(name, P_CONSENT_BY + b":" + reference.encode("ascii"))


def consent_by(ticket: Ticket, keyring: Keyring) -> str | None:
    """Who gave consent to the assisting operator, or None."""
    if ticket.consent_by_enc is None:
        return None
    purpose = P_CONSENT_BY + b":" + ticket.reference.encode("ascii")
    return keyring.decrypt(ticket.consent_by_enc, purpose)
