"""The confirmation page's secrets (``portal.tickets.confirmations``): kept
encrypted, bound to their row, for a short window only."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import func, select

from portal.db import transaction
from portal.extensions import db
from portal.tickets.confirmations import (
    SentSecrets,
    forget_sent,
    purge_expired_confirmations,
    recall_sent,
    remember_sent,
)
from portal.tickets.drafts import save_draft
from portal.tickets.models import Draft, SentConfirmation
from tests.tickets import NOW, answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")


def _sent(keyring, confirmation_id="c0nf1rmat10n-1d", now=NOW) -> SentSecrets:
    result = submit(keyring, answers())
    secrets = SentSecrets(result.ticket_id, result.pin, result.tracking_token)
    with transaction():
        remember_sent(confirmation_id, secrets, keyring=keyring, now=now)
    return secrets


def test_recalled_within_the_window(app_ctx, keyring):
    secrets = _sent(keyring)
    assert recall_sent("c0nf1rmat10n-1d", keyring=keyring, now=NOW) == secrets
    window = dt.timedelta(minutes=30) - dt.timedelta(seconds=1)
    assert recall_sent("c0nf1rmat10n-1d", keyring=keyring, now=NOW + window) == secrets


def test_gone_after_the_window_or_for_another_id(app_ctx, keyring):
    _sent(keyring)
    assert (
        recall_sent("c0nf1rmat10n-1d", keyring=keyring, now=NOW + dt.timedelta(minutes=30)) is None
    )
    assert recall_sent("another-id", keyring=keyring, now=NOW) is None
    assert recall_sent(None, keyring=keyring, now=NOW) is None


def test_stored_encrypted_and_bound_to_its_row(app_ctx, keyring):
    secrets = _sent(keyring)
    row = db.session.get(SentConfirmation, "c0nf1rmat10n-1d")
    assert secrets.pin.encode() not in row.secrets_enc
    assert secrets.tracking_token.encode() not in row.secrets_enc
    # the same ciphertext under another id does not open
    with transaction():
        db.session.add(
            SentConfirmation(
                id="copied", ticket_id=row.ticket_id, secrets_enc=row.secrets_enc,
                expires_at=row.expires_at,
            )
        )  # fmt: skip
    # the row id is the AES-GCM associated data: another id fails authentication
    with pytest.raises(InvalidTag):
        recall_sent("copied", keyring=keyring, now=NOW)


def test_forget_and_purge(app_ctx, keyring):
    _sent(keyring, "first")
    _sent(keyring, "second", now=NOW - dt.timedelta(hours=1))
    with transaction():
        forget_sent("first")
    assert recall_sent("first", keyring=keyring, now=NOW) is None
    with transaction():
        assert purge_expired_confirmations(NOW) == 1
    assert db.session.scalar(select(func.count()).select_from(SentConfirmation)) == 0


def test_purge_expired_command(app, app_ctx, keyring):
    _sent(keyring, "old", now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    _sent(keyring, "fresh", now=dt.datetime.now(dt.UTC))
    with transaction():
        save_draft(
            "proposal", {}, keyring=keyring, now=dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
        )
        save_draft("proposal", {}, keyring=keyring, now=dt.datetime.now(dt.UTC))
    result = app.test_cli_runner().invoke(args=["tickets", "purge-expired"])
    assert result.exit_code == 0, result.output
    assert "removed 1 expired draft(s), 1 expired confirmation(s)" in result.output
    db.session.expire_all()
    assert db.session.scalars(select(SentConfirmation.id)).all() == ["fresh"]
    assert db.session.scalar(select(func.count()).select_from(Draft)) == 1
