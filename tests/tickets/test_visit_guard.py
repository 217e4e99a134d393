"""The field-visit guard (issue 10 §4): objections and corrections of the
house's condition are neither verified nor decided without a recorded
visit; other kinds are. And ``record_visit``'s own refusals."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.tickets import visits
from portal.tickets.evidence import StoredFile
from portal.tickets.models import Evidence, Ticket
from portal.tickets.service import add_evidence
from portal.tickets.workflow import Actor, InvalidTransition, transition
from tests.staff.conftest import make_staff
from tests.tickets import NOW, answers, submit

pytestmark = pytest.mark.usefixtures("app_ctx", "db_clean")

#: Two days after NOW (Wednesday 18 March 2026, 10:00 WIB).
LATER = NOW + dt.timedelta(days=2)
KINDS = {
    "objection": ("objection", "own_ranking"),
    "house": ("correction", "house_changed"),
    "death": ("correction", "member_died"),
    "proposal": ("proposal", "other_household"),
}


def ticket_in(keyring, status: str, which: str) -> Ticket:
    kind, subkind = KINDS[which]
    result = submit(keyring, answers(kind=kind, subkind=subkind))
    with transaction():
        db.session.get(Ticket, result.ticket_id).status = status
    return db.session.get(Ticket, result.ticket_id)


def handler_of(app, ticket: Ticket):
    code = db.session.get(Office, ticket.office_id).code
    account = make_staff(app, "handler", office=code)
    return Actor.staff(account.id, "handler")


def visit(ticket: Ticket, actor, keyring, **over):
    args = {
        "visited_on": dt.date(2026, 3, 17),
        "officer_id": actor.staff_id,
        "findings": {"floor_material": "tanah", "household_size": 4},
        "notes": None,
        "recommendation": "request_right",
        "photos": [],
        "now": LATER,
    }
    args.update(over)
    with transaction():
        return visits.record_visit(ticket, actor, keyring=keyring, **args)


@pytest.mark.parametrize("which", ["objection", "house"])
@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("in_review", "verified"),
        ("field_check", "verified"),
        ("verified", "accepted"),
        ("verified", "rejected"),
    ],
)
def test_kinds_checked_on_the_ground_need_a_visit(app, keyring, which, start, to):
    ticket = ticket_in(keyring, start, which)
    actor = handler_of(app, ticket)
    with pytest.raises(InvalidTransition) as refused, transaction():
        transition(ticket, to, actor, now=LATER, keyring=keyring)
    assert refused.value.code == "needs_field_visit"
    assert db.session.get(Ticket, ticket.id).status == start


@pytest.mark.parametrize("which", ["objection", "house"])
def test_after_a_visit_they_are_verified_and_decided(app, keyring, which):
    ticket = ticket_in(keyring, "field_check", which)
    actor = handler_of(app, ticket)
    visit(ticket, actor, keyring)
    with transaction():
        transition(ticket, "verified", actor, now=LATER, keyring=keyring)
        transition(ticket, "accepted", actor, now=LATER, keyring=keyring)
    assert ticket.status == "accepted"


@pytest.mark.parametrize("which", ["proposal", "death"])
def test_other_kinds_are_verified_from_the_documents(app, keyring, which):
    ticket = ticket_in(keyring, "in_review", which)
    with transaction():
        transition(ticket, "verified", handler_of(app, ticket), now=LATER, keyring=keyring)
    assert ticket.status == "verified"


def test_other_refusals_keep_the_generic_code():
    error = InvalidTransition("verified", "accepted", "not allowed for resident")
    assert (error.code, str(error)) == ("refused", "verified → accepted: not allowed for resident")


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"visited_on": dt.date(2026, 3, 19)}, "future_date"),  # LATER is 18 March
        ({"visited_on": dt.date(2026, 3, 15)}, "before_submission"),  # sent 16 March
        ({"recommendation": "maybe"}, "bad_recommendation"),
        ({"findings": {"floor_material": "emas"}}, "bad_value"),
        ({"findings": {"household_size": -1}}, "bad_value"),
        ({"findings": {"nik": "1"}}, "bad_value"),
        ({"officer_id": 999_999}, "bad_officer"),
    ],
)
def test_record_visit_refuses(app, keyring, over, code):
    ticket = ticket_in(keyring, "field_check", "objection")
    actor = handler_of(app, ticket)
    with pytest.raises(visits.VisitRefused) as refused:
        visit(ticket, actor, keyring, **over)
    assert refused.value.code == code
    assert visits.visits_of(ticket) == []


def test_one_key_records_one_visit(app, keyring):
    """What stops two concurrent clicks that both passed the page's check."""
    ticket = ticket_in(keyring, "field_check", "objection")
    actor = handler_of(app, ticket)
    visit(ticket, actor, keyring, idempotency_key="k" * 32)
    with pytest.raises(IntegrityError):
        visit(ticket, actor, keyring, idempotency_key="k" * 32)
    assert len(visits.visits_of(ticket)) == 1
    assert visits.by_key(ticket, "k" * 32) is not None


def photo(doc_type: str = "house_front") -> StoredFile:
    return StoredFile(secrets.token_hex(16), secrets.token_hex(32), 1234, "image/jpeg", doc_type)


def test_visit_photos_are_the_visits_and_leave_the_resident_room(app, keyring):
    ticket = ticket_in(keyring, "field_check", "objection")
    actor = handler_of(app, ticket)
    limit = app.config["MAX_FILES_PER_TICKET"]
    recorded = visit(ticket, actor, keyring, photos=[photo() for _ in range(limit)])
    rows = visits.photos_of([recorded])[recorded.id]
    assert [(r.doc_type, r.field_visit_id, r.gps_enc) for r in rows] == [
        ("house_front", recorded.id, None)
    ] * limit

    with transaction():
        add_evidence(ticket, [photo("kk")], Actor.resident(), now=LATER)
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == limit + 1


def test_a_visit_photo_is_a_picture_of_the_house():
    with pytest.raises(visits.VisitRefused) as refused:
        visits._check_photos([photo("ktp")])
    assert refused.value.code == "bad_photo"


def test_a_visit_only_in_the_field_check(app, keyring):
    ticket = ticket_in(keyring, "in_review", "objection")
    actor = handler_of(app, ticket)
    with pytest.raises(visits.VisitRefused) as refused:
        visit(ticket, actor, keyring)
    assert refused.value.code == "not_field_check"


def test_the_visit_date_may_be_today_and_the_submission_day(app, keyring):
    ticket = ticket_in(keyring, "field_check", "objection")
    actor = handler_of(app, ticket)
    visit(ticket, actor, keyring, visited_on=dt.date(2026, 3, 18))
    visit(ticket, actor, keyring, visited_on=dt.date(2026, 3, 16))
    assert [v.visited_on for v in visits.visits_of(ticket)] == [
        dt.date(2026, 3, 18),
        dt.date(2026, 3, 16),
    ]


def test_a_subject_outside_the_registry_has_no_registry_values(app, keyring):
    ticket = ticket_in(keyring, "field_check", "objection")
    actor = handler_of(app, ticket)
    recorded = visit(ticket, actor, keyring)
    findings = {f.variable: f for f in visits.findings_of(recorded, keyring)}
    assert (findings["floor_material"].registry, findings["floor_material"].observed) == (
        None,
        "tanah",
    )
    assert findings["floor_material"].matches is None
    assert findings["household_size"].observed == 4
    assert db.session.scalar(select(Ticket.version).where(Ticket.id == ticket.id)) > 1
