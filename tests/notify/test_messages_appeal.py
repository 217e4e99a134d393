"""A rejection's SMS offers the appeal only while the resident may still
appeal: not after the one appeal was used, not once the window has passed
(review of issue 11: the message promised an appeal the workflow refused)."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.db import transaction
from portal.extensions import db
from portal.notify.worker import Worker
from portal.tickets.models import Ticket
from portal.tickets.workflow import Actor, transition
from tests.notify import servers
from tests.notify.servers import worker_config
from tests.tickets import NOW, answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")
sms_gateway = servers.sms_gateway
HANDLER = Actor.staff(7, "handler")
APPEAL_WORDS = "Sanggah"  # "Sanggah sampai …" in the SMS of a rejection


def rejected(keyring, at: dt.datetime) -> int:
    sent = submit(keyring, answers(reporter_contact="0812 3456 7890", lang="id"))
    with transaction():
        ticket = db.session.get(Ticket, sent.ticket_id)
        for status in ("in_review", "verified", "rejected"):
            transition(ticket, status, HANDLER, now=at)
    return sent.ticket_id


def last_sms(app, keyring, gateway, clock: dt.datetime) -> str:
    config = worker_config(app, SMS_GATEWAY_URL=gateway.url)
    Worker(config, keyring, clock=lambda: clock).run_once()
    return gateway.requests[-1]["body"]["text"]


def test_a_rejection_offers_the_appeal_inside_the_window(app, app_ctx, keyring, sms_gateway):
    rejected(keyring, NOW)
    assert APPEAL_WORDS in last_sms(app, keyring, sms_gateway, NOW)


def test_sent_after_the_window_it_offers_no_appeal(app, app_ctx, keyring, sms_gateway):
    rejected(keyring, NOW)
    # 16 March 2026 + 10 working days (Nyepi, Idulfitri and cuti bersama
    # skipped) ends on 7 April; a message still waiting on 8 April says nothing of it.
    assert APPEAL_WORDS not in last_sms(app, keyring, sms_gateway, NOW + dt.timedelta(days=23))


def test_the_second_rejection_after_an_appeal_offers_no_appeal(app, app_ctx, keyring, sms_gateway):
    ticket_id = rejected(keyring, NOW)
    last_sms(app, keyring, sms_gateway, NOW)  # the first decision's messages go out
    with transaction():
        ticket = db.session.get(Ticket, ticket_id)
        transition(ticket, "in_review", Actor.resident(), "Rumah kami belum diperiksa", now=NOW)
        transition(ticket, "verified", HANDLER, now=NOW)
        transition(ticket, "rejected", HANDLER, now=NOW)
    assert "Tidak disetujui" in (text := last_sms(app, keyring, sms_gateway, NOW))
    assert APPEAL_WORDS not in text
