"""The answer's event id names the sender and the gateway's message id: a
gateway that reuses its ids for other senders still gets every message
answered, and a redelivery (however the sender is written) is answered once."""

from __future__ import annotations

import pytest

from tests.notify import test_inbound_sms as inbound
from tests.notify.test_inbound_sms import OTHER, SENDER, replies
from tests.web.conftest import clean_limits  # noqa: F401 - autouse here too

hook = inbound.hook
reference = inbound.reference

pytestmark = pytest.mark.usefixtures("db_clean")


def test_one_gateway_id_from_two_senders_gets_two_answers(app, keyring, hook, reference):
    hook(SENDER, f"CEK {reference}", gateway_id="gw-1")
    hook(OTHER, "halo", gateway_id="gw-1")

    assert [(payload["answer"], to) for payload, to, _ in replies(app, keyring)] == [
        ("status", SENDER),
        ("help", OTHER),
    ]


def test_a_redelivery_with_the_sender_written_otherwise_is_answered_once(
    app, keyring, hook, reference
):
    hook(SENDER, f"CEK {reference}", gateway_id="gw-9")
    hook("081234567890", f"CEK {reference}", gateway_id="gw-9")  # the same number

    assert len(replies(app, keyring)) == 1
