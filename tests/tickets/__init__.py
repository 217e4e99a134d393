"""Tests of the ticket domain. Tickets are made through the service, as a
resident's submission would make them (``submit``)."""

from __future__ import annotations

import datetime as dt
import secrets

from portal.db import transaction
from portal.extensions import db
from portal.registry.models import Household
from portal.tickets.service import SubmittedTicket, TicketAnswers, submit_ticket
from tests.factories import VILLAGE

#: Monday 16 March 2026, 10:00 WIB: the week of Nyepi and Idulfitri.
NOW = dt.datetime(2026, 3, 16, 3, 0, tzinfo=dt.UTC)


def answers(**over) -> TicketAnswers:
    """A proposal for a household outside the registry, in ``VILLAGE``."""
    values = {
        "kind": "proposal",
        "subkind": "other_household",
        "consent_version": "2026-01",
        "village_code": VILLAGE,
        "subject_name": "Siti Aminah",
        "subject_address": "Jl. Melati No. 3, RT 001/RW 002",
        "reason_codes": ("income_dropped",),
        "details": "Suami sakit, tidak bekerja sejak Januari.",
    }
    values.update(over)
    return TicketAnswers(**values)


def submit(keyring, given: TicketAnswers | None = None, *, key: str | None = None, **kw):
    """Submit and commit; returns the ``SubmittedTicket``."""
    kw.setdefault("now", NOW)
    with transaction():
        result: SubmittedTicket = submit_ticket(
            given or answers(),
            idempotency_key=key or secrets.token_urlsafe(16),
            keyring=keyring,
            **kw,
        )
    return result


def make_household(keyring, village: str = VILLAGE) -> int:
    """A registry household (only the columns a ticket needs are meaningful)."""
    with transaction():
        household = Household(
            kk_index=secrets.token_bytes(32),
            kk_enc=keyring.encrypt("3201010101100001", b"household.kk"),
            village_code=village,
            address_enc=keyring.encrypt("Jl. Mawar 1", b"household.address"),
            desil=3,
            programs="PKH",
            data_as_of=dt.date(2025, 3, 1),
            content_digest=secrets.token_bytes(32),
            changed_at=NOW,
        )
        db.session.add(household)
        db.session.flush()
        return household.id
