"""What an operator may not do at ``/office/assist``: submit for another
village (by lookup, by a forged village answer, or past the pages straight
at the service), look up without limits; and who else may not use it.
Confidential objections keep the assisting operator hidden."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest
from sqlalchemy import func, select

from portal.db import keyring, transaction
from portal.extensions import db
from portal.tickets.errors import InvalidAnswers
from portal.tickets.models import Ticket
from portal.tickets.service import TicketAnswers, submit_ticket
from tests.office.assist_fixtures import (
    AWAY_NAME,
    AWAY_NIK,
    HOME_NAME,
    HOME_NIK,
    REFERENCE,
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
from tests.staff.test_permissions import BANDUNG, BOGOR_A, BOGOR_B
from tests.web.conftest import post_lookup


def _tickets(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


def test_a_household_of_another_village_is_refused(app, desk):
    page = start(desk, "correction", AWAY_NIK, AWAY_NAME)
    assert page.status_code == 403
    assert "You can only submit for households of your own village" in (
        desk.post(
            "/office/assist?lang=en", {"kind": "correction", "nik": AWAY_NIK, "name": AWAY_NAME}
        ).text
    )
    assert audit_rows(app, desk.operator.id) == [("assist_lookup", None, "other_village")] * 2
    # Nothing was proven: the correction still asks for a lookup.
    desk.post("/office/assist/correction", {"subkind": "member_died"})
    assert desk.client.get("/office/assist/correction/reasons").status_code == 302


def test_not_found_and_name_mismatch_are_one_answer(app, desk):
    wrong_name = start(desk, "objection", HOME_NIK, "Bukan Namanya")
    unknown = start(desk, "objection", "3201011508800099", HOME_NAME)
    assert wrong_name.status_code == unknown.status_code == 200

    def page(response, nik: str, name: str) -> str:
        """The page without what was typed and the CSRF token (signed with the time)."""
        text = re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "", response.text)
        return text.replace(nik, "").replace(name, "")

    assert page(wrong_name, HOME_NIK, "Bukan Namanya") == page(
        unknown, "3201011508800099", HOME_NAME
    )
    assert [row[2] for row in audit_rows(app, desk.operator.id)] == ["no_match", "no_match"]


def test_a_forged_village_answer_is_refused(app, desk):
    """The village question is not asked: a POST of another village's lists
    changes nothing, and the request goes to the operator's village."""
    start(desk, "proposal")
    desk.post("/office/assist/proposal", {"subkind": "other_household"})
    levels = {"province": BANDUNG[:2], "regency": BANDUNG[:5]}
    levels.update(district=BANDUNG[:8], village=BANDUNG)
    forged = desk.post("/office/assist/proposal/village", levels)
    assert forged.status_code == 302
    assert "/village" not in forged.headers["Location"]
    assert desk.client.get("/office/assist/proposal/village").status_code == 302
    check = answer(desk, "proposal", "other_household")
    _, confirmation = send(desk, "proposal", check)
    ticket = ticket_by_reference(app, REFERENCE.search(confirmation.text).group(1))
    assert ticket.village_code == BOGOR_A


def _answers(village: str, **over) -> TicketAnswers:
    values = dict(
        kind="proposal",
        subkind="other_household",
        consent_version="2026-01",
        village_code=village,
        subject_name="Siti Aminah",
        subject_address="Jl. Mawar 5",
        consent_method="signed_form",
        consent_by="Siti Aminah",
    )
    return TicketAnswers(**{**values, **over})


def _submit(answers: TicketAnswers, staff_id: int | None, files=()):
    with transaction():
        return submit_ticket(
            answers,
            idempotency_key=secrets.token_urlsafe(12),
            keyring=keyring(),
            now=dt.datetime.now(dt.UTC),
            staff_id=staff_id,
            evidence=files,
        )


def test_the_service_refuses_another_village_and_other_roles(app, desk):
    handler = make_staff(app, "handler", office="dinsos-32.01")
    with app.app_context():
        with pytest.raises(InvalidAnswers, match="own village"):
            _submit(_answers(BOGOR_B), desk.operator.id)
        with pytest.raises(InvalidAnswers, match="operator"):
            _submit(_answers(BOGOR_A), handler.id)
        with pytest.raises(InvalidAnswers, match="method"):
            _submit(_answers(BOGOR_A, consent_method="by_phone"), desk.operator.id)
        with pytest.raises(InvalidAnswers, match="method"):
            _submit(_answers(BOGOR_A, consent_by=""), desk.operator.id)
        with pytest.raises(InvalidAnswers, match="assisted"):
            _submit(_answers(BOGOR_A), None)  # a resident's own has no consent record
        assert _submit(_answers(BOGOR_A), desk.operator.id).pin
    assert _tickets(app) == 1


def test_a_resident_cannot_attach_a_consent_form(app, desk):
    from tests.office.ticket_page_fixtures import image_bytes, stored
    from tests.web.journeys import answer_up_to_check, jpeg, upload

    with app.app_context():
        form = stored("formulir.jpg", image_bytes("JPEG"), doc_type="consent_form")
        with pytest.raises(InvalidAnswers, match="assisted"):
            _submit(_answers(BOGOR_A, consent_method=None, consent_by=None), None, [form])
    public = app.test_client()
    answer_up_to_check(public, "proposal", "other_household", files=0)
    page = public.get("/submit/proposal/evidence")
    assert page.status_code == 200
    assert 'value="consent_form"' not in page.text
    assert upload(public, "proposal", jpeg(), doc_type="consent_form").status_code == 400


def test_the_per_nik_limit_applies_to_operators(app, desk, monkeypatch):
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT_PER_NIK", "2 per day")
    assert start(desk, "objection", HOME_NIK, HOME_NAME).status_code == 303
    # A resident's own lookup of the same NIK spends the same budget.
    post_lookup(app.test_client(), HOME_NIK, HOME_NAME)
    refused = start(desk, "objection", HOME_NIK, HOME_NAME)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert [row[2] for row in audit_rows(app, desk.operator.id)] == ["match"]


def test_the_per_account_lookup_budget(app, desk, clock, monkeypatch):
    monkeypatch.setitem(app.config, "ASSIST_LOOKUP_LIMIT_PER_ACCOUNT", "2 per hour")
    assert start(desk, "objection", HOME_NIK, HOME_NAME).status_code == 303
    assert start(desk, "objection", AWAY_NIK, AWAY_NAME).status_code == 403
    assert start(desk, "objection", HOME_NIK, HOME_NAME).status_code == 429
    # Another operator's budget is their own.
    colleague = logged_in(app, clock, make_staff(app, "operator", village=BOGOR_A))
    assert start(colleague, "objection", HOME_NIK, HOME_NAME).status_code == 303


@pytest.mark.parametrize(
    ("role", "place"),
    [
        ("handler", {"office": "dinsos-32.01"}),
        ("supervisor", {"office": "prov-32"}),
        ("admin", {"office": "national"}),
        ("field_officer", {"office": "dinsos-32.01", "districts": (BOGOR_A.rsplit(".", 1)[0],)}),
    ],
)
def test_other_roles_are_refused(app, desk, clock, role, place):
    other = logged_in(app, clock, make_staff(app, role, **place))
    csrf = desk.csrf()  # any session's token shape; refused before it matters
    assert other.client.get("/office/assist").status_code == 403
    for path in ("/office/assist", "/office/assist/proposal", "/office/assist/proposal/check"):
        response = other.client.post(path, data={"csrf_token": csrf, "kind": "proposal"})
        assert response.status_code in (400, 403), path
    assert _tickets(app) == 0


def test_a_confidential_objection_hides_the_operator_from_another_operator(app, desk, clock):
    start(desk, "objection")
    check = answer(
        desk, "objection", "ineligible_recipient", reasons=("well_off",), consent_photo=True
    )
    _, confirmation = send(desk, "objection", check)
    reference = REFERENCE.search(confirmation.text).group(1)
    name = f"operator {desk.operator.email}"

    handler = logged_in(app, clock, make_staff(app, "handler", office="dinsos-32.01"))
    page = handler.client.get(f"/office/tickets/{reference}?lang=en").text
    assert f"Submitted by operator {name}" in page
    assert "Signed consent form" in page

    colleague = logged_in(app, clock, make_staff(app, "operator", village=BOGOR_A))
    page = colleague.client.get(f"/office/tickets/{reference}?lang=en")
    assert page.status_code == 200
    assert "Not shown: a confidential report" in page.text
    assert name not in page.text
    assert "Budi Santoso" not in page.text  # who gave consent
    assert "Signed consent form" not in page.text


def test_the_menu_offers_it_to_operators_only(app, desk, clock):
    assert 'href="/office/assist"' in desk.client.get("/office/").text
    handler = logged_in(app, clock, make_staff(app, "handler", office="dinsos-32.01"))
    assert 'href="/office/assist"' not in handler.client.get("/office/").text


def test_an_operator_s_submission_always_carries_the_consent_record(app, desk):
    """No "recorded before consent records" way round: with ``staff_id``,
    the method and who gave it are required (each half alone is refused)."""
    with app.app_context():
        for over in (
            {"consent_method": None, "consent_by": None},
            {"consent_method": None},
            {"consent_by": None},
        ):
            with pytest.raises(InvalidAnswers) as refused:
                _submit(_answers(BOGOR_A, **over), desk.operator.id)
            assert refused.value.code == "consent_missing"
    assert _tickets(app) == 0
