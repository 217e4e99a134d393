"""Set-up of the route permission matrix (SECURITY.md AU4 through HTTP): one
ticket with a photo in each of four villages, a handler of each ticket's
office to assign to, the ten accounts of tests/staff/test_permissions.py
logged in, and snapshots of what a request could change.

The helpers open their own application context, never one shared with the
test clients (Flask-WTF caches the CSRF token in ``g``)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field

import pytest
from sqlalchemy import delete, func, select

from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.extensions import db
from portal.staff.models import StaffUser
from portal.tickets import replies
from portal.tickets.models import Evidence, FieldVisit, ReplyTemplate, Ticket, TicketEvent
from portal.tickets.visits import NUMERIC, VARIABLES
from tests.office.ticket_page_fixtures import image_bytes, stored
from tests.staff.conftest import Clock, log_in, make_staff, token
from tests.staff.test_permissions import ACCOUNTS, BANDUNG, BOGOR_A, BOGOR_B, JAKARTA
from tests.tickets import answers, submit

VILLAGES = (BOGOR_A, BOGOR_B, BANDUNG, JAKARTA)
#: The reference of no ticket at all, in the same shape as a real one.
NO_SUCH = "ZZZZ-ZZZZ-ZZZZ"


@dataclass
class World:
    app: object
    clock: Clock
    #: village -> ticket reference; and the ticket's photo (its Evidence id).
    refs: dict[str, str] = field(default_factory=dict)
    photo: dict[str, int] = field(default_factory=dict)
    #: village -> a handler of the office the ticket is routed to (the assignee).
    target: dict[str, int] = field(default_factory=dict)
    #: account name -> (logged-in client, account, CSRF token).
    clients: dict[str, tuple] = field(default_factory=dict)
    template_id: int = 0

    def ctx(self, fn, *args, **kwargs):
        with self.app.app_context():
            return fn(*args, **kwargs)


@pytest.fixture(name="world")
def world_fixture(app, keyring, db_clean, tmp_path, monkeypatch) -> World:
    from portal.web.office import auth, login

    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))
    clock = Clock()
    monkeypatch.setattr(auth, "now", clock)
    monkeypatch.setattr(login, "now", clock)
    w = World(app, clock)
    with app.app_context():
        replies.seed_defaults(clock.now)
        w.template_id = db.session.scalar(
            select(func.min(ReplyTemplate.id)).where(ReplyTemplate.office_id.is_(None))
        )
        for village in VILLAGES:
            result = submit(
                keyring,
                answers(village_code=village),
                evidence=[stored("rumah.jpg", image_bytes("JPEG"))],
            )
            ticket = db.session.get(Ticket, result.ticket_id)
            w.refs[village] = ticket.reference
            w.photo[village] = db.session.scalar(
                select(Evidence.id).where(Evidence.ticket_id == ticket.id)
            )
            w.target[village] = ticket.office_id
    codes = {}
    with app.app_context():
        from portal.regions.models import Office

        for village, office_id in w.target.items():
            codes[village] = db.session.get(Office, office_id).code
    for village, code in codes.items():
        w.target[village] = make_staff(app, "handler", office=code).id
    for name, (role, place) in ACCOUNTS.items():
        account = make_staff(app, role, **place)
        client = app.test_client()
        answer = log_in(client, account, clock)
        assert answer.status_code == 303, answer.text
        home = "/office/visits" if role == "field_officer" else "/office/"  # no queue for them
        w.clients[name] = (client, account, token(client, home))
    return w


def in_ctx(fn):
    """Run ``fn`` in a fresh application context of the running test's app."""

    @functools.wraps(fn)
    def wrapped(world: World, *args, **kwargs):
        with world.app.app_context():
            db.session.expire_all()
            return fn(world, *args, **kwargs)

    return wrapped


@in_ctx
def reset(world: World, reference: str, status: str) -> None:
    """Set-up, not a move: the ticket in ``status``, assigned to nobody."""
    with transaction():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        ticket.status = status
        ticket.assignee_id = None


@in_ctx
def snapshot(world: World, reference: str) -> dict:
    """Everything about the ticket a request might change."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
    count = lambda model, *where: db.session.scalar(  # noqa: E731
        select(func.count()).select_from(model).where(*where)
    )
    return {
        "status": ticket.status,
        "assignee": ticket.assignee_id,
        "version": ticket.version,
        "events": count(TicketEvent, TicketEvent.ticket_id == ticket.id),
        "visits": count(FieldVisit, FieldVisit.ticket_id == ticket.id),
    }


@in_ctx
def all_assignees(world: World) -> dict[str, int | None]:
    rows = db.session.execute(select(Ticket.reference, Ticket.assignee_id)).all()
    return dict(rows)


@in_ctx
def templates(world: World) -> set[tuple]:
    rows = db.session.execute(
        select(ReplyTemplate.id, ReplyTemplate.office_id, ReplyTemplate.title)
    ).all()
    return set(rows)


@in_ctx
def drop_overrides(world: World) -> None:
    """Only the national defaults again (set-up)."""
    with transaction():
        db.session.execute(delete(ReplyTemplate).where(ReplyTemplate.office_id.is_not(None)))


@in_ctx
def audit_of(world: World, staff_id: int) -> list[tuple]:
    """The audit rows written by ``staff_id``: (kind, ticket_id, evidence_id)."""
    return list(
        db.session.execute(
            select(AuditEntry.kind, AuditEntry.ticket_id, AuditEntry.evidence_id)
            .where(AuditEntry.staff_id == staff_id)
            .order_by(AuditEntry.id)
        ).all()
    )


@in_ctx
def ticket_id(world: World, reference: str) -> int:
    return db.session.scalar(select(Ticket.id).where(Ticket.reference == reference))


@in_ctx
def staff_role(world: World, staff_id: int) -> str:
    return db.session.get(StaffUser, staff_id).role


def visit_form_data(page_text: str, officer: int, today: dt.date) -> dict:
    """A complete visit from the visit page: its hidden values and a floor of earth."""
    hidden = dict(re.findall(r'name="(key|version)"[^>]*?value="([^"]*)"', page_text))
    return {
        **{f"obs_{n}": "unchecked" for n in VARIABLES if n not in NUMERIC},
        **hidden,
        "visited_on": today.isoformat(),
        "officer": str(officer),
        "obs_floor_area_m2": "30",
        "obs_floor_material": "tanah",
        "obs_household_size": "3",
        "recommendation": "request_right",
    }


REPORTER_CONTACT = "pelapor.rahasia@contoh.id"


@in_ctx
def confidential_report(world: World, keyring) -> tuple[str, int]:
    """A confidential objection (ineligible recipient) in Bogor A with a photo,
    sent by a resident: (reference, the photo's Evidence id)."""
    result = submit(
        keyring,
        answers(
            kind="objection",
            subkind="ineligible_recipient",
            village_code=BOGOR_A,
            reason_codes=("not_poor",),
            reporter_contact=REPORTER_CONTACT,
            reporter_confidential=True,
        ),
        evidence=[stored("mobil.png", image_bytes("PNG"))],
    )
    photo = db.session.scalar(select(Evidence.id).where(Evidence.ticket_id == result.ticket_id))
    return result.reference, photo


def staff_office_id(w, staff_id: int | None) -> int | None:
    with w.app.app_context():
        user = db.session.get(StaffUser, staff_id) if staff_id is not None else None
        return user.office_id if user is not None else None


def ticket_office_id(w, reference: str) -> int:
    with w.app.app_context():
        return db.session.scalar(select(Ticket.office_id).where(Ticket.reference == reference))
