"""An operator submits for a resident through the pages (issue 12 §1): each
kind end to end, the consent record, the audit row, the slip, the tracking
page's line, and the office page's line."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.registry.models import Person
from portal.tickets.models import P_CONSENT_BY, P_REPORTER_CONTACT, Evidence
from tests.office.assist_fixtures import (
    HOME_NAME,
    HOME_NIK,
    PIN,
    REFERENCE,
    TRACKING,
    answer,
    audit_rows,
    clean_limits,  # noqa: F401 - autouse fixture
    clock_fixture,  # noqa: F401 - fixture
    desk_fixture,  # noqa: F401 - fixture
    logged_in,
    send,
    start,
    ticket_by_reference,
)
from tests.staff.conftest import make_staff
from tests.staff.test_permissions import BOGOR_A

#: kind, subkind, looked up?, subject asked?, reasons, consent method, photo of the form?
CASES = [
    ("proposal", "other_household", False, True, ("no_income",), "signed_form", True),
    ("objection", "own_ranking", True, False, ("income_dropped",), "in_person_verbal", False),
    ("correction", "member_died", True, False, (), "signed_form", True),
]


def _home_household_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Person.household_id).limit(1).order_by(Person.id))


@pytest.mark.parametrize(
    ("kind", "subkind", "lookup", "subject", "reasons", "method", "photo"), CASES
)
def test_an_assisted_submission_end_to_end(
    app, keyring, desk, kind, subkind, lookup, subject, reasons, method, photo
):
    first = start(desk, kind, HOME_NIK, HOME_NAME) if lookup else start(desk, kind)
    assert first.status_code == 303
    assert first.headers["Location"] == f"/office/assist/{kind}"
    consent = {"consent": "y", "consent_method": method, "consent_by": "Siti Aminah"}
    check = answer(
        desk,
        kind,
        subkind,
        subject=subject,
        reasons=reasons,
        details="Ayah meninggal 3 Maret." if kind == "correction" else "Tidak ada penghasilan.",
        consent=consent,
        consent_photo=photo,
    )
    assert "Siti Aminah" in check.text  # who gave consent, on the check page
    _, confirmation = send(desk, kind, check)
    assert confirmation.status_code == 200
    assert confirmation.headers["Cache-Control"] == "no-store"
    reference = REFERENCE.search(confirmation.text).group(1)
    assert PIN.search(confirmation.text)
    assert TRACKING.search(confirmation.text)
    assert 'href="/office/assist/sent/receipt.pdf"' in confirmation.text

    ticket = ticket_by_reference(app, reference)
    assert (ticket.kind, ticket.subkind) == (kind, subkind)
    assert ticket.submitted_by_staff_id == desk.operator.id
    assert ticket.village_code == BOGOR_A
    assert ticket.household_id == (_home_household_id(app) if lookup else None)
    assert ticket.consent_method == method
    purpose = P_CONSENT_BY + b":" + reference.encode()
    assert keyring.decrypt(ticket.consent_by_enc, purpose) == "Siti Aminah"
    assert keyring.decrypt(ticket.reporter_contact_enc, P_REPORTER_CONTACT) == "081311112222"
    with app.app_context():
        types = db.session.scalars(
            select(Evidence.doc_type).where(Evidence.ticket_id == ticket.id).order_by(Evidence.id)
        ).all()
    assert types == (["house_front", "consent_form"] if photo else ["house_front"])
    lookups = [("assist_lookup", None, "match")] if lookup else []
    assert audit_rows(app, desk.operator.id) == [
        *lookups,
        ("assisted_submission", ticket.id, kind),
    ]

    slip = desk.client.get("/office/assist/sent/receipt.pdf")
    assert slip.status_code == 200
    assert slip.headers["Content-Type"] == "application/pdf"
    assert slip.headers["Cache-Control"] == "no-store"
    assert slip.data.startswith(b"%PDF")


def test_a_double_click_makes_one_ticket_and_one_audit_row(app, desk):
    start(desk, "proposal")
    check = answer(desk, "proposal", "other_household")
    first, _ = send(desk, "proposal", check)
    again, _ = send(desk, "proposal", check)
    assert (first.status_code, again.status_code) == (303, 303)
    kinds = [row[0] for row in audit_rows(app, desk.operator.id)]
    assert kinds == ["assisted_submission"]


def test_the_slip_is_only_for_the_operator_who_sent_it(app, desk, clock):
    start(desk, "proposal")
    send(desk, "proposal", answer(desk, "proposal", "other_household"))
    colleague = logged_in(app, clock, make_staff(app, "operator", village=BOGOR_A))
    assert colleague.client.get("/office/assist/sent/receipt.pdf").status_code == 404
    assert desk.client.get("/office/assist/sent/receipt.pdf").status_code == 200


def test_a_refused_consent_form_keeps_what_was_typed(app, desk):
    start(desk, "proposal")
    answer(desk, "proposal", "other_household")
    import io

    page = desk.post(
        "/office/assist/proposal/consent?lang=en",
        {
            "consent": "y",
            "consent_method": "in_person_verbal",
            "consent_by": "Siti Aminah Binti Rahmat",
            "file": (io.BytesIO(b"not a picture at all"), "formulir.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert page.status_code == 400
    assert 'value="Siti Aminah Binti Rahmat"' in page.text
    assert _checked(page.text, "in_person_verbal")
    # The answers before are kept: the check page still has them, with the old consent.
    check = desk.client.get("/office/assist/proposal/check")
    assert check.status_code == 200
    assert "Jl. Mawar 5" in check.text


def test_the_consent_record_is_required(app, desk):
    start(desk, "proposal")
    answer(desk, "proposal", "other_household")
    for missing in ("consent", "consent_method", "consent_by"):
        data = {"consent": "y", "consent_method": "signed_form", "consent_by": "Siti"}
        del data[missing]
        page = desk.post("/office/assist/proposal/consent", data)
        assert page.status_code == 400, missing
    forged = {"consent": "y", "consent_method": "by_phone", "consent_by": "Siti"}
    assert desk.post("/office/assist/proposal/consent", forged).status_code == 400


def test_next_resident_ends_the_journey_the_lookup_and_the_pin(app, desk):
    assert start(desk, "objection", HOME_NIK, HOME_NAME).status_code == 303
    check = answer(desk, "objection", "own_ranking", subject=False, reasons=("excluded",))
    _, confirmation = send(desk, "objection", check)
    assert PIN.search(confirmation.text)
    done = desk.post("/office/assist/sent")
    assert (done.status_code, done.headers["Location"]) == (303, "/office/assist")
    assert not PIN.search(desk.client.get("/office/assist/sent").text)
    # The household found is gone: an objection about it needs a new lookup.
    assert desk.post("/office/assist/objection", {"subkind": "own_ranking"}).status_code == 200
    assert desk.client.get("/office/assist/objection/check").status_code == 302


def test_next_resident_from_the_start_page_discards_a_started_journey(app, desk):
    start(desk, "proposal")
    desk.post("/office/assist/proposal", {"subkind": "other_household"})
    assert _checked(desk.client.get("/office/assist/proposal").text, "other_household")
    assert desk.post("/office/assist/done").status_code == 303
    assert _checked(desk.client.get("/office/assist/proposal").text, "other_household") is False


def test_the_resident_s_own_journey_in_the_same_browser_stays_apart(app, desk):
    """A resident using the office PC's browser: their lookup and draft are
    not the operator's, and the operator's are not theirs."""
    start(desk, "proposal")
    desk.post("/office/assist/proposal", {"subkind": "other_household"})
    assert _checked(desk.client.get("/office/assist/proposal").text, "other_household")
    assert _checked(desk.client.get("/submit/proposal").text, "other_household") is False
    from tests.web.conftest import post_lookup

    assert post_lookup(desk.client, HOME_NIK, HOME_NAME).status_code == 200
    # The resident's lookup proves nothing to the operator's journey.
    assert desk.post("/office/assist/correction", {"subkind": "member_died"}).status_code == 200
    assert desk.client.get("/office/assist/correction/reasons").status_code == 302


def test_the_tracking_page_says_the_village_office_helped(app, desk):
    start(desk, "proposal")
    _, confirmation = send(desk, "proposal", answer(desk, "proposal", "other_household"))
    link = TRACKING.search(confirmation.text).group(1)
    resident = app.test_client()
    page = resident.get(f"{link}?lang=en")
    assert page.status_code == 200
    assert "Submitted with help from the village office" in page.text


def test_a_resident_s_own_request_does_not_say_so(app, desk):
    from tests.web.journeys import answer_up_to_check
    from tests.web.journeys import send as public_send

    resident = app.test_client()
    check = answer_up_to_check(resident, "proposal", "other_household")
    confirmation, _ = public_send(resident, "proposal", check)
    link = TRACKING.search(confirmation.text).group(1)
    page = resident.get(f"{link}?lang=en")
    assert "Submitted with help from the village office" not in page.text


def test_the_office_page_names_the_operator_village_and_consent(app, desk, clock):
    start(desk, "proposal")
    _, confirmation = send(
        desk, "proposal", answer(desk, "proposal", "other_household", consent_photo=True)
    )
    reference = REFERENCE.search(confirmation.text).group(1)
    handler = logged_in(app, clock, make_staff(app, "handler", office="dinsos-32.01"))
    page = handler.client.get(f"/office/tickets/{reference}?lang=en").text
    operator_name = f"operator {desk.operator.email}"
    village = _village_name(app, BOGOR_A)
    assert (
        f"Submitted by operator {operator_name} of village {village} on behalf of the resident"
    ) in page
    assert "The resident signed a consent form" in page
    assert "consent given by Budi Santoso" in page
    assert "Signed consent form" in page  # the photo, among the files


def _village_name(app, code: str) -> str:
    from portal.regions.models import Region

    with app.app_context():
        return db.session.get(Region, code).name


def _checked(page: str, value: str) -> bool:
    """Whether the radio or checkbox of ``value`` is checked on the page."""
    [tag] = re.findall(rf'<input[^>]*value="{value}"[^>]*>', page)
    return " checked" in tag


def test_adding_to_the_household_s_request_under_review_is_audited(app, keyring, desk):
    """The resident's objection is already under review: the operator adds
    the answers to it (no new ticket), and that is an audit row too."""
    import dataclasses

    from tests.tickets import answers, submit

    household_id = _home_household_id(app)
    own = answers(kind="objection", subkind="own_ranking", household_id=household_id)
    own = dataclasses.replace(own, village_code=None, subject_name=None, subject_address=None)
    with app.app_context():
        existing = submit(keyring, own).ticket_id
    start(desk, "objection", HOME_NIK, HOME_NAME)
    desk.post("/office/assist/objection", {"subkind": "own_ranking"})
    assert desk.client.get("/office/assist/objection/already").status_code == 200
    desk.post("/office/assist/objection/add-to-existing")
    desk.post("/office/assist/objection/reasons", {"reason_codes": ["excluded"]})
    desk.post("/office/assist/objection/evidence", {"action": "continue"})
    consent = {"consent": "y", "consent_method": "in_person_verbal", "consent_by": "Budi"}
    assert desk.post("/office/assist/objection/consent", consent).status_code == 302
    check = desk.client.get("/office/assist/objection/check")
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', check.text)
    added = desk.post("/office/assist/objection/check", {"idempotency_key": key.group(1)})
    assert added.status_code == 200
    assert audit_rows(app, desk.operator.id) == [
        ("assist_lookup", None, "match"),
        ("assisted_addition", existing, "objection"),
    ]
    with app.app_context():
        from portal.tickets.models import Ticket

        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
