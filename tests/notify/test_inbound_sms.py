"""The inbound SMS webhook (issue 11 §6, SECURITY.md AU8): who may call it,
what ``CEK <reference>`` gets, from which number, and how often."""

from __future__ import annotations

import hmac
import json

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.tickets.models import P_OUTBOX_RECIPIENT, OutboxMessage
from tests.tickets import answers, submit
from tests.web.conftest import clean_limits  # noqa: F401 - autouse here too

pytestmark = pytest.mark.usefixtures("db_clean")

SECRET = "kunci-rahasia-gateway-sms-2026-xyz"
#: The ticket's phone as the resident typed it, and the same number as a gateway writes it.
TICKET_PHONE = "0812-3456-7890"
SENDER = "+6281234567890"
OTHER = "+6281299998888"


@pytest.fixture
def hook(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_INBOUND_SECRET", SECRET)
    client = app.test_client()
    ids = iter(range(1, 10_000))

    def post(sender=SENDER, text="", *, secret=SECRET, gateway_id=None, form=False):
        body = {"from": sender, "text": text, "id": gateway_id or f"gw-{next(ids)}"}
        headers = {} if secret is None else {"X-Webhook-Secret": secret}
        if form:
            return client.post("/hooks/sms", data=body, headers=headers)
        return client.post("/hooks/sms", json=body, headers=headers)

    return post


@pytest.fixture
def reference(app, keyring):
    with app.app_context():
        return submit(keyring, answers(reporter_contact=TICKET_PHONE)).reference


def replies(app, keyring):
    """The ``sms.reply`` rows: (payload, recipient, ticket_id), oldest first."""
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.topic == "sms.reply")
            .order_by(OutboxMessage.id)
        ).all()
        return [
            (
                json.loads(row.payload),
                keyring.decrypt(
                    row.recipient_enc, P_OUTBOX_RECIPIENT + b":" + row.event_id.encode()
                ),
                row.ticket_id,
            )
            for row in rows
        ]


def ticket_id_of(app, reference):
    from portal.tickets.models import Ticket

    with app.app_context():
        return db.session.scalar(select(Ticket.id).where(Ticket.reference == reference))


# Who may call it


@pytest.mark.parametrize(
    "secret",
    [None, "", "salah", SECRET[:-1] + "Z", SECRET + "x", SECRET.upper()],
    ids=["missing", "empty", "wrong", "last-char", "longer", "case"],
)
def test_a_missing_or_wrong_secret_is_refused_and_nothing_is_written(
    app, keyring, hook, reference, secret, caplog
):
    answer = hook(text=f"CEK {reference}", secret=secret)
    assert answer.status_code == 403
    assert replies(app, keyring) == []
    refused = [r for r in caplog.records if r.getMessage() == "sms_hook_refused"]
    assert refused and refused[0].event["outcome"] == "secret"
    logged = " ".join(r.getMessage() + str(getattr(r, "event", "")) for r in caplog.records)
    assert reference not in logged and "81234567890" not in logged


def test_without_a_configured_secret_every_call_is_refused(app, keyring, monkeypatch, reference):
    monkeypatch.setitem(app.config, "SMS_INBOUND_SECRET", None)
    client = app.test_client()
    for headers in ({}, {"X-Webhook-Secret": ""}, {"X-Webhook-Secret": "None"}):
        body = {"from": SENDER, "text": f"CEK {reference}", "id": "gw-1"}
        assert client.post("/hooks/sms", json=body, headers=headers).status_code == 403
    assert replies(app, keyring) == []


def test_the_secret_is_compared_with_compare_digest(app, hook, monkeypatch):
    """AU8: the constant-time comparison is the one that decides."""
    calls = []
    real = hmac.compare_digest

    def recording(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    assert hook(text="halo", secret=SECRET[:-1] + "Z").status_code == 403
    assert hook(text="halo").status_code == 200
    assert calls == [
        ((SECRET[:-1] + "Z").encode(), SECRET.encode()),
        (SECRET.encode(), SECRET.encode()),
    ]


def test_the_right_secret_is_accepted_without_a_csrf_token(app, keyring, hook):
    answer = hook(text="halo")
    assert answer.status_code == 200
    assert answer.get_json() == {"ok": True}
    assert [r[0] for r in replies(app, keyring)] == [{"answer": "help"}]


@pytest.mark.parametrize(
    "body",
    [
        {"text": "CEK", "id": "gw-1"},
        {"from": SENDER, "text": "CEK"},
        {"from": SENDER, "id": "x" * 129},
    ],
    ids=["no-sender", "no-id", "long-id"],
)
def test_a_body_without_sender_or_message_id_is_a_bad_request(app, keyring, monkeypatch, body):
    monkeypatch.setitem(app.config, "SMS_INBOUND_SECRET", SECRET)
    headers = {"X-Webhook-Secret": SECRET}
    assert app.test_client().post("/hooks/sms", json=body, headers=headers).status_code == 400
    assert replies(app, keyring) == []


# What CEK <reference> gets


def test_cek_from_the_tickets_number_queues_a_status_answer_to_that_number(
    app, keyring, hook, reference
):
    assert hook(SENDER, f"CEK {reference}").status_code == 200
    assert replies(app, keyring) == [
        (
            {"answer": "status", "ticket_id": ticket_id_of(app, reference), "reference": reference},
            SENDER,
            ticket_id_of(app, reference),
        )
    ]


@pytest.mark.parametrize(
    "sender,text",
    [
        ("081234567890", "cek {ref}"),
        ("6281234567890", "Cek  {compact}"),
        ("+62 812-3456-7890", "CEK: {spaced}"),
        ("0062 812 3456 7890", "CEK{ref}\n"),
    ],
)
def test_cek_is_understood_however_the_number_and_reference_are_written(
    app, keyring, hook, reference, sender, text
):
    typed = text.format(
        ref=reference.lower(),
        compact=reference.replace("-", ""),
        spaced=reference.replace("-", " "),
    )
    hook(sender, typed, form=True)
    [(payload, recipient, _)] = replies(app, keyring)
    assert payload["answer"] == "status" and payload["reference"] == reference
    assert recipient == SENDER


def test_another_number_gets_the_same_answer_as_an_unknown_reference(app, keyring, hook, reference):
    unknown = "DT-2345-6789" if reference != "DT-2345-6789" else "DT-2345-6788"
    hook(OTHER, f"CEK {reference}")  # the right reference, another number
    hook(SENDER, f"CEK {unknown}")  # the ticket's number, a reference that is not there
    hook(SENDER, "berapa status saya?")  # anything else
    rows = replies(app, keyring)
    assert rows == [
        ({"answer": "help"}, OTHER, None),
        ({"answer": "help"}, SENDER, None),
        ({"answer": "help"}, SENDER, None),
    ]


def test_a_ticket_with_an_email_contact_or_none_answers_help(app, keyring, hook):
    with app.app_context():
        by_email = submit(keyring, answers(reporter_contact="warga@contoh.id")).reference
        without = submit(keyring, answers(reporter_contact=None)).reference
    hook(SENDER, f"CEK {by_email}")
    hook(SENDER, f"CEK {without}")
    assert [r[0] for r in replies(app, keyring)] == [{"answer": "help"}, {"answer": "help"}]


# Once, and not too often


def test_a_redelivered_message_is_answered_once(app, keyring, hook, reference):
    first = hook(SENDER, f"CEK {reference}", gateway_id="gw-42")
    again = hook(SENDER, f"CEK {reference}", gateway_id="gw-42")
    assert first.status_code == again.status_code == 200
    assert len(replies(app, keyring)) == 1


def test_a_concurrent_redelivery_that_commits_first_is_not_an_error(
    app, keyring, hook, reference, monkeypatch
):
    """The check before the insert found nothing, the unique event id refuses it."""
    from portal.notify import inbound

    hook(SENDER, f"CEK {reference}", gateway_id="gw-7")
    real_scalar = db.session.scalar
    blind = {"once": True}

    def miss_the_first_check(statement, *a, **kw):
        if blind.pop("once", False):
            return None
        return real_scalar(statement, *a, **kw)

    monkeypatch.setattr(inbound.db.session, "scalar", miss_the_first_check, raising=False)
    answer = hook(SENDER, f"CEK {reference}", gateway_id="gw-7")
    assert answer.status_code == 200 and answer.get_json() == {"ok": True}
    assert len(replies(app, keyring)) == 1


def test_one_number_gets_at_most_its_answers_per_hour(app, keyring, hook, reference, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_REPLY_LIMIT_PER_NUMBER", "3 per hour")
    answers_ = [hook(OTHER, f"CEK {reference}").status_code for _ in range(5)]
    assert answers_ == [200] * 5  # accepted: the gateway has nothing to retry
    assert len(replies(app, keyring)) == 3
    hook(SENDER, f"CEK {reference}")  # another number has its own budget
    rows = replies(app, keyring)
    assert len(rows) == 4 and rows[-1][0]["answer"] == "status"


def test_the_hook_is_limited_per_address_before_the_secret_is_checked(app, hook, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_HOOK_LIMIT_PER_IP", "3 per hour")
    codes = [hook(text="halo", secret="salah").status_code for _ in range(3)]
    assert codes == [403, 403, 403]
    limited = hook(text="halo")  # even the right secret, once the address is spent
    assert limited.status_code == 429 and "Retry-After" in limited.headers
