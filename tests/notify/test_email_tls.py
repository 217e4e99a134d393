"""Email over TLS against real TLS servers (aiosmtpd on 127.0.0.1 with a
certificate from the tests' own CA, ``tls_certs.py``): STARTTLS, smtps://, and
a server whose certificate is not trusted (a failed try, nothing in clear)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.notify.worker import Worker
from portal.tickets.models import OutboxMessage
from tests.notify import servers
from tests.notify.servers import worker_config
from tests.tickets import NOW, answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")
test_ca = servers.test_ca
starttls_server = servers.starttls_server
smtps_server = servers.smtps_server


def send_one(app, keyring, url: str, ca_file) -> OutboxMessage:
    submit(keyring, answers(reporter_contact="warga@example.org"))
    config = worker_config(app, SMTP_URL=url, SMTP_CA_FILE=str(ca_file) if ca_file else None)
    Worker(config, keyring, clock=lambda: NOW).run_once()
    db.session.expire_all()
    [row] = db.session.scalars(select(OutboxMessage))
    return row


def test_a_message_goes_through_starttls(app, app_ctx, keyring, test_ca, starttls_server):
    # No ?starttls=: the default takes STARTTLS when offered (this server requires it).
    row = send_one(app, keyring, starttls_server.url, test_ca.ca_file)

    assert (row.status, row.attempts) == ("sent", 1)
    [received] = starttls_server.messages
    assert received.rcpt_tos == ["warga@example.org"]
    assert received.tls is not None and received.tls.startswith("TLSv1.")


def test_a_message_goes_through_smtps(app, app_ctx, keyring, test_ca, smtps_server):
    assert smtps_server.url.startswith("smtps://")

    row = send_one(app, keyring, smtps_server.url, test_ca.ca_file)

    assert (row.status, row.attempts) == ("sent", 1)
    [received] = smtps_server.messages
    assert received.rcpt_tos == ["warga@example.org"]
    assert received.tls is not None and received.tls.startswith("TLSv1.")


@pytest.mark.parametrize("server", ["starttls_server", "smtps_server"])
def test_an_untrusted_certificate_is_a_failed_try_and_nothing_is_sent(
    app, app_ctx, keyring, request, server
):
    smtp = request.getfixturevalue(server)

    # No SMTP_CA_FILE: the system's CAs, which never signed the tests' CA.
    row = send_one(app, keyring, smtp.url, None)

    assert (row.status, row.attempts) == ("retry", 1)
    assert row.last_error == "smtp SSLCertVerificationError"
    assert row.next_attempt_at is not None and row.claimed_by is None
    assert smtp.messages == []
