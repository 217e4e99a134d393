"""What the service refuses at an operator's send never ends in a 500, and
an operator's addition keeps the resident's consent (review of issue 12 §1):
the evidence page counts the photo of the signed consent form, a refused
send comes back to the check page with the reason and the draft kept, a
forged consent method is refused on its page, and the consent to an
addition to a request under review is kept with it."""

from __future__ import annotations

import dataclasses
import io
import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.registry.models import Person
from portal.staff.models import StaffUser
from portal.tickets import evidence
from portal.tickets.models import P_EVENT_NOTE, Evidence, Ticket, TicketEvent
from tests.office.assist_fixtures import (
    HOME_NAME,
    HOME_NIK,
    IDEMPOTENCY,
    REFERENCE,
    answer,
    audit_rows,
    clean_limits,  # noqa: F401 - autouse fixture
    clock_fixture,  # noqa: F401 - fixture
    desk_fixture,  # noqa: F401 - fixture
    send,
    start,
    ticket_by_reference,
)
from tests.staff.test_permissions import BOGOR_A, BOGOR_B
from tests.web.journeys import jpeg

BASE = "/office/assist/proposal"


def _upload(desk, n: int):
    return desk.post(
        f"{BASE}/evidence",
        {
            "action": "upload",
            "doc_type": "house_front",
            "file": (io.BytesIO(jpeg((40 + n, 50))), f"b{n}.jpg"),
        },
        content_type="multipart/form-data",
    )


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_the_evidence_page_counts_the_photo_of_the_consent_form(app, desk):
    """MAX_FILES_PER_TICKET is 5: one file and the consent form, then three
    more fit and the fourth is refused on the page; the send makes a ticket
    of five files (it was a 500 when the page let a sixth in)."""
    assert app.config["MAX_FILES_PER_TICKET"] == 5
    start(desk, "proposal")
    answer(desk, "proposal", "other_household", consent_photo=True)
    page = desk.client.get(f"{BASE}/evidence?lang=en")
    assert "up to 4 files can be added here" in page.text
    assert [_upload(desk, n).status_code for n in range(3)] == [302, 302, 302]
    refused = _upload(desk, 3)
    assert refused.status_code == 400
    assert "You can add up to 5 files" in refused.text
    assert "You have added the most files allowed (4)" in desk.client.get(f"{BASE}/evidence").text
    response, confirmation = send(desk, "proposal", desk.client.get(f"{BASE}/check"))
    assert response.status_code == 303
    ticket = ticket_by_reference(app, REFERENCE.search(confirmation.text).group(1))
    with app.app_context():
        types = db.session.scalars(select(Evidence.doc_type).where(Evidence.ticket_id == ticket.id))
        assert sorted(types) == ["consent_form", *["house_front"] * 4]


def test_a_send_the_service_refuses_comes_back_to_the_check_page(app, desk, monkeypatch):
    """Six files in the draft (the limit lowered after they were added): the
    check page again with the reason, no ticket, the draft kept and sent
    once the limit allows it."""
    start(desk, "proposal")
    check = answer(desk, "proposal", "other_household", consent_photo=True)
    monkeypatch.setitem(app.config, "MAX_FILES_PER_TICKET", 1)
    response, _ = send(desk, "proposal", check)
    assert response.status_code == 400
    assert "error-summary" in response.text
    assert _count(app, Ticket) == 0
    again = desk.post(f"{BASE}/check?lang=en", {"idempotency_key": _key(response)})
    assert again.status_code == 400
    assert "A request can hold 1 files, the photo of the signed consent form included" in (
        again.text
    )
    assert "Budi Santoso" in again.text  # the answers are all there
    monkeypatch.setitem(app.config, "MAX_FILES_PER_TICKET", 5)
    sent, confirmation = send(desk, "proposal", desk.client.get(f"{BASE}/check"))
    assert sent.status_code == 303 and confirmation.status_code == 200
    assert _count(app, Ticket) == 1


def _key(page) -> str:
    return IDEMPOTENCY.search(page.text).group(1)


def test_an_operator_whose_village_changed_gets_a_page_not_a_500(app, desk):
    start(desk, "objection", HOME_NIK, HOME_NAME)
    check = answer(desk, "objection", "own_ranking", subject=False, reasons=("income_dropped",))
    with app.app_context():
        db.session.get(StaffUser, desk.operator.id).village_code = BOGOR_B
        db.session.commit()
    key = _key(check)
    response = desk.post("/office/assist/objection/check?lang=en", {"idempotency_key": key})
    assert response.status_code == 400
    assert "only for households of your own village" in response.text
    assert _count(app, Ticket) == 0
    assert [kind for kind, *_ in audit_rows(app, desk.operator.id)] == ["assist_lookup"]


def test_a_forged_consent_method_is_refused_on_its_page(app, desk):
    start(desk, "proposal")
    answer(desk, "proposal", "other_household")
    forged = {"consent": "y", "consent_method": "by_phone", "consent_by": "Budi Santoso"}
    page = desk.post(f"{BASE}/consent?lang=en", forged, content_type="multipart/form-data")
    assert page.status_code == 400
    assert "Select how the resident gave consent" in page.text
    assert 'value="Budi Santoso"' in page.text  # what was typed is kept
    # The recorded method stays the valid one: the send goes through.
    response, _ = send(desk, "proposal", desk.client.get(f"{BASE}/check"))
    assert response.status_code == 303


def test_an_addition_keeps_the_consent_record_and_its_photo(app, keyring, desk):
    """The household's objection is under review: the operator's addition
    brings the photo of the signed form as a ``consent_form`` file (kept
    on disk, not orphaned) and an internal ``assisted_addition`` event
    saying how and by whom consent was given."""
    from tests.tickets import answers, submit

    with app.app_context():
        household_id = db.session.scalar(select(Person.household_id).order_by(Person.id))
    own = answers(kind="objection", subkind="own_ranking", household_id=household_id)
    own = dataclasses.replace(own, village_code=None, subject_name=None, subject_address=None)
    with app.app_context():
        existing = submit(keyring, own).ticket_id
    start(desk, "objection", HOME_NIK, HOME_NAME)
    desk.post("/office/assist/objection", {"subkind": "own_ranking"})
    desk.post("/office/assist/objection/add-to-existing")
    desk.post("/office/assist/objection/reasons", {"reason_codes": ["excluded"]})
    desk.post("/office/assist/objection/evidence", {"action": "continue"})
    consent = {
        "consent": "y",
        "consent_method": "signed_form",
        "consent_by": "Budi Santoso",
        "file": (io.BytesIO(jpeg((60, 80))), "formulir.jpg"),
    }
    r = desk.post("/office/assist/objection/consent", consent, content_type="multipart/form-data")
    assert r.status_code == 302
    check = desk.client.get("/office/assist/objection/check")
    added = desk.post("/office/assist/objection/check", {"idempotency_key": _key(check)})
    assert added.status_code == 200
    with app.app_context():
        [form] = db.session.scalars(
            select(Evidence).where(
                Evidence.ticket_id == existing, Evidence.doc_type == "consent_form"
            )
        ).all()
        assert evidence.read_stored(form.stored_name)
        [event] = db.session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == existing, TicketEvent.kind == "assisted_addition"
            )
        ).all()
        assert event.public is False
        assert event.actor == f"staff:{desk.operator.id}"
        note = keyring.decrypt(event.note_enc, P_EVENT_NOTE)
        assert "Budi Santoso" in note
        assert re.search(r"formulir|form", note, re.I)  # the method, in words
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_the_consent_to_an_addition_is_shown_only_to_who_may_see_the_reporter(app, keyring, desk):
    """Who consented names the reporter: the ``assisted_addition`` event is
    left out of the history for staff who may not see the reporter."""
    import datetime as dt

    from portal.db import transaction
    from portal.tickets import assisted, casefile
    from tests.tickets import answers, submit

    operator = desk.operator
    with app.app_context():
        ticket_id = submit(keyring, answers(village_code=BOGOR_A)).ticket_id
        ticket = db.session.get(Ticket, ticket_id)
        with transaction():
            assisted.record_addition(
                ticket,
                operator.id,
                "in_person_verbal",
                "Budi Santoso",
                [],
                note="Persetujuan: Budi Santoso",
                now=dt.datetime.now(dt.UTC),
                keyring=keyring,
            )
        today = dt.date.today()
        kinds = {
            show: {
                (e.kind, e.note)
                for e in casefile.load(
                    ticket, keyring, show_reporter=show, today=today, show_internal=True
                ).history
            }
            for show in (True, False)
        }
    assert ("assisted_addition", "Persetujuan: Budi Santoso") in kinds[True]
    assert not {k for k, _ in kinds[False]} & {"assisted_addition"}


def test_a_resident_s_refused_send_comes_back_to_the_check_page_too(app, desk, monkeypatch):
    """One code path: the resident's own send gets the same page, with
    words that say nothing of a consent form."""
    from tests.web.journeys import answer_up_to_check
    from tests.web.journeys import send as public_send

    resident = app.test_client()
    check = answer_up_to_check(resident, "proposal", "other_household", files=2)
    monkeypatch.setitem(app.config, "MAX_FILES_PER_TICKET", 1)
    response, _ = public_send(resident, "proposal", check)
    assert response.status_code == 400
    assert "Satu permohonan dapat memuat 1 berkas. Hapus satu berkas" in response.text
    assert "formulir" not in response.text
    assert _count(app, Ticket) == 0
