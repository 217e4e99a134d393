"""A confidential objection's own words stay with the office (DESIGN.md §3):
the field officer's visit page gives the reason codes and says the words
are held by the office, and never decrypts them (issue 12 §3)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape

from portal.db import transaction
from portal.extensions import db
from portal.tickets.models import P_DETAILS, Ticket
from portal.web.public.ticket_labels import REASONS
from tests.office import visit_fixtures as vf
from tests.office.test_field_officer import ADDRESS, assign, logged_in, officer

clean_limits, clock, scene = vf.clean_limits, vf.clock, vf.scene

WORDS = "Saya Bu Ratna, tetangga di sebelah kiri, melihat mereka punya mobil baru."
HELD = "The office holds the reporter's own words: who reported stays confidential."


def _held(app) -> str:
    """As the page shows it (a template's ``_()`` is not escaped again)."""
    with app.test_request_context(), force_locale("id"):
        return gettext(HELD)


def _reason(app) -> str:
    """The scene's reason code (``income_dropped``) as the page words it."""
    with app.test_request_context(), force_locale("id"):
        return str(escape(str(REASONS[("objection", "own_ranking")]["income_dropped"])))


@pytest.fixture
def decrypted(app, monkeypatch) -> list[bytes]:
    """The purposes the keyring decrypts for, in order."""
    keyring = app.extensions["keyring"]
    purposes: list[bytes] = []
    real = keyring.decrypt

    def spy(blob, purpose):
        purposes.append(bytes(purpose))
        return real(blob, purpose)

    monkeypatch.setattr(keyring, "decrypt", spy)
    return purposes


@pytest.mark.parametrize("confidential", [True, False])
def test_the_officer_gets_the_words_only_when_not_confidential(
    app, scene, clock, decrypted, confidential
):
    with app.app_context(), transaction():
        row = db.session.get(Ticket, scene.ticket_id)
        row.details_enc = app.extensions["keyring"].encrypt(WORDS, P_DETAILS)
        row.reporter_confidential = confidential
    account = officer(app)
    assign(logged_in(app, scene.handler, clock), scene, account.id)
    client = logged_in(app, account, clock)
    decrypted.clear()
    page = client.get(f"/office/visits/{scene.reference}")
    assert page.status_code == 200 and ADDRESS in page.text
    assert _reason(app) in page.text
    shown = str(escape(WORDS)) in page.text
    assert shown is not confidential
    assert (_held(app) in page.text) is confidential
    assert (P_DETAILS in decrypted) is not confidential
