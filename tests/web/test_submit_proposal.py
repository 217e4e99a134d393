"""``/submit/proposal``: the usulan journey with JavaScript off, end to end."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.regions.models import Office
from portal.tickets.models import Evidence, SentConfirmation, Ticket
from portal.web.public import journey
from tests.web.journeys import PIN, REFERENCE, SIXTEEN, answer_up_to_check, get, post, send


@pytest.fixture
def uploads(app, tmp_path, monkeypatch, db_clean):
    root = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(root))
    return root


def test_entry_page_asks_own_or_other_household(client):
    page = client.get("/submit/proposal")
    assert page.status_code == 200
    assert 'name="subkind"' in page.text and "own_household" in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_choose_page_lists_the_three_kinds(client):
    page = client.get("/submit")
    for kind in ("proposal", "objection", "correction"):
        assert f'href="/submit/{kind}"' in page.text


def test_proposal_for_another_household_end_to_end(app, client, uploads):
    check = answer_up_to_check(client, "proposal", "other_household")
    assert "Siti Aminah" in check.text and "Jl. Mawar 5" in check.text
    assert check.headers["Cache-Control"] == "no-store"
    confirmation, _key = send(client, "proposal", check)
    assert confirmation.status_code == 200
    body = confirmation.text
    pin = PIN.search(body).group(1)
    reference = REFERENCE.search(body).group(0)
    assert confirmation.headers["Cache-Control"] == "no-store"
    assert 'src="data:image/png;base64,' in body  # the QR code
    assert "/t/" in body
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.kind == "proposal" and ticket.subkind == "other_household"
        assert ticket.reason_codes == "no_income"
        assert ticket.consent_version and ticket.consent_at
        assert db.session.get(Office, ticket.office_id).code == "dinsos-32.01"
        assert db.session.scalar(select(func.count()).select_from(Evidence)) == 1
    assert len(pin) == 6
    for url in client.seen_urls:
        assert not SIXTEEN.search(url)


def _count_tickets(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


def test_the_confirmation_survives_a_reload_and_a_language_switch(app, client, uploads):
    check = answer_up_to_check(client, "proposal", "other_household", files=0)
    first, _ = send(client, "proposal", check)
    pin = PIN.search(first.text).group(1)
    reload = get(client, "/submit/sent")
    assert PIN.search(reload.text).group(1) == pin
    english = get(client, "/submit/sent?lang=en")
    assert PIN.search(english.text).group(1) == pin
    assert "Your request was sent" in english.text
    assert english.headers["Cache-Control"] == "no-store"


def test_sending_the_form_again_shows_the_same_confirmation(app, client, uploads):
    """A browser's "resubmit the form?" after the first answer arrived."""
    check = answer_up_to_check(client, "proposal", "other_household", files=0)
    first, key = send(client, "proposal", check)
    again = post(client, "/submit/proposal/check", {"idempotency_key": key})
    assert again.status_code == 303 and again.headers["Location"] == "/submit/sent"
    assert PIN.search(get(client, "/submit/sent").text).group(1) == PIN.search(first.text).group(1)
    assert _count_tickets(app) == 1


def test_another_device_never_sees_the_pin(app, client, uploads):
    check = answer_up_to_check(client, "proposal", "other_household", files=0)
    first, key = send(client, "proposal", check)
    stranger = app.test_client()
    page = post(stranger, "/submit/proposal/check", {"idempotency_key": key})
    assert page.status_code == 200
    assert not PIN.search(page.text)
    assert REFERENCE.search(first.text).group(0) in page.text
    gone = get(stranger, "/submit/sent")
    assert not PIN.search(gone.text) and "Halaman ini tidak tersedia lagi" in gone.text
    assert _count_tickets(app) == 1


def test_the_confirmation_closes_after_its_window(app, client, uploads, monkeypatch):
    check = answer_up_to_check(client, "proposal", "other_household", files=0)
    first, key = send(client, "proposal", check)
    assert PIN.search(first.text)
    later = journey.now() + dt.timedelta(minutes=app.config["SENT_PAGE_MINUTES"], seconds=1)
    monkeypatch.setattr(journey, "now", lambda: later)
    assert not PIN.search(get(client, "/submit/sent").text)
    again = post(client, "/submit/proposal/check", {"idempotency_key": key})
    assert again.status_code == 200 and not PIN.search(again.text)


def test_hiding_the_pin_closes_the_confirmation_for_good(app, client, uploads):
    check = answer_up_to_check(client, "proposal", "other_household", files=0)
    send(client, "proposal", check)
    hidden = post(client, "/submit/sent", {})
    assert hidden.status_code == 303 and hidden.headers["Location"] == "/"
    home = get(client, "/")
    assert "PIN disembunyikan" in home.text
    assert not PIN.search(get(client, "/submit/sent").text)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SentConfirmation)) == 0


def test_own_household_from_the_lookup_skips_the_subject_questions(app, client, registry, uploads):
    from tests.web.conftest import post_lookup

    head = registry["first"][0]
    post_lookup(client, head["nik"], head["full_name"])
    check = answer_up_to_check(
        client, "proposal", "own_household", subject=False, village=False, files=0
    )
    assert "status check" in check.text or "cek status" in check.text.lower()
    confirmation, _ = send(client, "proposal", check)
    assert PIN.search(confirmation.text)
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.household_id is not None and ticket.subject_name_enc is None


@pytest.mark.parametrize(
    ("path", "data", "field", "message"),
    [
        ("/submit/proposal", {}, "subkind", "Pilih"),
        ("/submit/proposal/subject", {"subject_address": "Jl. A"}, "subject_name", "nama"),
        ("/submit/proposal/subject", {"subject_name": "Siti"}, "subject_address", "alamat"),
        (
            "/submit/proposal/subject",
            {"subject_name": "x" * 121, "subject_address": "a"},
            "subject_name",
            "120",
        ),
    ],
)
def test_validation_errors_link_to_their_field(client, db_clean, path, data, field, message):
    if path != "/submit/proposal":
        post(client, "/submit/proposal", {"subkind": "other_household"})
    page = post(client, path, data)
    assert page.status_code == 400
    assert f'href="#{field}"' in page.text
    assert f'id="{field}"' in page.text
    assert message.lower() in page.text.lower()
    assert page.text.count("error-summary-list") == 1


def test_region_lists_come_one_at_a_time(client, db_clean):
    post(client, "/submit/proposal", {"subkind": "other_household"})
    post(client, "/submit/proposal/subject", {"subject_name": "Siti", "subject_address": "Jl. A"})
    page = get(client, "/submit/proposal/village")
    assert 'name="province"' in page.text and 'name="regency"' not in page.text
    missing = post(client, "/submit/proposal/village", {"province": ""})
    assert missing.status_code == 400 and 'href="#province"' in missing.text
    assert post(client, "/submit/proposal/village", {"province": "32"}).status_code == 302
    page = get(client, "/submit/proposal/village")
    assert 'name="regency"' in page.text and "32.01" in page.text
    assert 'name="district"' not in page.text
    # A code that is not under the chosen parent is not taken.
    assert post(client, "/submit/proposal/village", {"province": "32", "regency": "31.71"})
    page = get(client, "/submit/proposal/village")
    assert 'name="district"' not in page.text


def test_reasons_and_details_are_checked(client, db_clean):
    post(client, "/submit/proposal", {"subkind": "other_household"})
    post(client, "/submit/proposal/subject", {"subject_name": "Siti", "subject_address": "Jl. A"})
    from tests.web.journeys import choose_village

    choose_village(client, "proposal")
    none = post(client, "/submit/proposal/reasons", {"details": ""})
    assert none.status_code == 400 and 'href="#reason_codes"' in none.text
    long = post(
        client, "/submit/proposal/reasons", {"reason_codes": "no_income", "details": "x" * 2001}
    )
    assert long.status_code == 400 and 'href="#details"' in long.text
    forged = post(client, "/submit/proposal/reasons", {"reason_codes": "drop_table"})
    assert forged.status_code == 400


@pytest.mark.parametrize("contact", ["12345", "budi@", "0812-abc", "x@y"])
def test_contact_format_is_checked(client, uploads, contact):
    answer_up_to_check(client, "proposal", "other_household", files=0)
    page = post(client, "/submit/proposal/contact", {"contact": contact})
    assert page.status_code == 400 and 'href="#contact"' in page.text


def test_consent_is_required(client, uploads):
    answer_up_to_check(client, "proposal", "other_household", files=0)
    page = post(client, "/submit/proposal/consent", {})
    assert page.status_code == 400 and 'href="#consent"' in page.text


def test_a_later_question_cannot_be_skipped_to(client, db_clean):
    response = get(client, "/submit/proposal/consent")
    assert response.status_code == 302 and response.headers["Location"] == "/submit/proposal"
    response = get(client, "/submit/proposal/check")
    assert response.status_code == 302


def test_another_household_after_a_lookup_is_in_the_same_village(app, client, registry, uploads):
    from tests.factories import VILLAGE
    from tests.web.conftest import post_lookup

    head = registry["first"][0]
    post_lookup(client, head["nik"], head["full_name"])
    check = answer_up_to_check(client, "proposal", "other_household", village=False, files=0)
    assert "Siti Aminah" in check.text
    send(client, "proposal", check)
    with app.app_context():
        ticket = db.session.scalar(select(Ticket))
        assert ticket.household_id is None and ticket.village_code == VILLAGE
    assert not [u for u in client.seen_urls if SIXTEEN.search(u)]
    assert head["nik"] not in " ".join(client.seen_urls)


def test_a_forged_choice_gets_the_plain_message(client, db_clean):
    page = post(client, "/submit/proposal", {"subkind": "own_ranking"})
    assert page.status_code == 400
    assert "Pilih apa yang ingin Anda ajukan" in page.text
