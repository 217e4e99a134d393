"""Fixtures for the data-protection tests: an evidence store of the test's
own, and tickets with files made as a resident's submission makes them."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.db import transaction
from portal.extensions import db
from portal.tickets.models import Ticket
from tests.office.ticket_page_fixtures import image_bytes, stored
from tests.tickets import answers, submit


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """``UPLOAD_ROOT`` in the test's folder, and ``storage()`` pointing at it
    (it is made once per app: the cached one is dropped before and after)."""
    root = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(root))
    app.extensions.pop("evidence_storage", None)
    yield root
    app.extensions.pop("evidence_storage", None)


@pytest.fixture
def in_app(app_ctx, db_clean):
    """An app context for the test whose session is ended before ``db_clean``
    empties the tables: on PostgreSQL a read left open on ``audit_log`` would
    hold the lock ``db_clean``'s trigger change waits for."""
    yield app_ctx
    db.session.rollback()
    db.session.remove()


def ticket_with_files(keyring, *, status: str | None = None, at: dt.datetime | None = None, **over):
    """A submitted ticket with one PNG (stored original + thumbnail), then put
    straight into ``status`` since ``at`` (setup, not a move); its id."""
    result = submit(keyring, answers(**over), evidence=[stored("rumah.png", image_bytes("PNG"))])
    if status is not None:
        with transaction():
            row = db.session.get(Ticket, result.ticket_id)
            row.status, row.status_changed_at, row.due_next = status, at, None
    return result
