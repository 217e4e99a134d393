"""``flask tickets demo``: a working queue for a newcomer (development and testing only).

About 300 tickets of every kind, subkind and status in the demo handler's
office (``dinsos-32.01``, Kab. Bogor) and two other Jawa Barat offices, made
the way real ones are: submitted through ``service.submit_ticket`` with
evidence pictures checked and stored like a resident's uploads, then moved
through ``workflow.transition`` by the demo staff accounts (``flask staff
demo``) at past times, with notes, so the histories, due dates
(``Ticket.due_next``) and the appeal windows look real: some tickets are
overdue, some due today, some waiting for the resident, some decided and
still open to appeal. The office's steps are the ones its pages make
(``office_moves.make``, ``visits.record_visit``, notes, claims: see
``demo_office``), with their audit rows: every ticket past its field check
has a recorded visit (findings against the registry, sometimes photos), and
every decision has reason codes and an explanation from the reply templates
(seeded if there are none). The demo field officer is sent to two tickets
in the field check (``demo_field``). Two of the offices and the province get made-up
public contacts (``demo_content.DEMO_CONTACTS``) for the tracking page. The
demo handler is the assignee of most of their office's tickets under review;
the other two offices are worked by the demo supervisor (Jawa Barat), who sees all three.

Subjects are households of the demo registry (``flask dtsen demo``) where
there are any, else described by name and address. Each ticket has a fixed
idempotency key (``demo-ticket:<office>:<n>``): running the command again
adds only what is missing. Everything is derived from the key, so the same
tickets (by kind, subject and story) come back on every machine; the
references and PINs are random as always.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from portal import crypto
from portal.crypto import Keyring
from portal.db import transaction
from portal.extensions import db
from portal.regions.models import VILLAGE, Office, Region
from portal.regions.offices import demo_contacts
from portal.registry.models import Household
from portal.staff.accounts import DEMO_ACCOUNTS, DEMO_ENVIRONMENTS, DEMO_REGENCY
from portal.staff.models import StaffUser
from portal.tickets import assign, demo_field, demo_office, office_moves, sla
from portal.tickets import demo_content as content
from portal.tickets.models import CONSENT_METHODS, SUBKINDS, OutboxMessage, Ticket
from portal.tickets.service import TicketAnswers, add_evidence, submit_ticket
from portal.tickets.workflow import (
    ACCEPTED,
    FIELD_CHECK,
    IN_REVIEW,
    OPEN_STATUSES,
    REJECTED,
    SUBMITTED,
    VERIFIED,
    Actor,
    transition,
)

#: The demo handler's office first; the demo supervisor (Jawa Barat) sees all three.
DEMO_OFFICES = (f"dinsos-{DEMO_REGENCY}", "dinsos-32.03", "dinsos-32.73")
KEY_PREFIX = "demo-ticket:"
#: The public form's consent text version (``web.public.journey.CONSENT_VERSION``).
CONSENT_VERSION = "2026-01"
KIND_SUBKINDS = tuple((kind, sub) for kind, subs in SUBKINDS.items() for sub in subs)


class DemoRefused(RuntimeError):
    """Demo tickets were asked for outside development and testing, or too early."""


@dataclass(frozen=True)
class Plan:
    key: str
    office: str
    n: int
    story: content.Story
    kind: str
    subkind: str
    #: The office a transferred ticket came from.
    origin: str | None = None
    #: Whose subject a duplicate repeats, and whom it is joined to.
    survivor: Plan | None = None


@dataclass
class DemoResult:
    created: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    existing: int = 0
    #: Visits the demo field officer was sent to (``demo_field``).
    field_visits: int = 0


def plans() -> list[Plan]:
    """Every demo ticket, in creation order: the stories weighted and shuffled
    per office, the (kind, subkind) pairs in turn."""
    out: list[Plan] = []
    for index, office in enumerate(DEMO_OFFICES):
        stories = [s for s in content.STORIES for _ in range(_weight(s, index))]
        random.Random(office).shuffle(stories)
        _survivor_first(stories)
        mine: list[Plan] = []
        for n, story in enumerate(stories):
            kind, subkind = KIND_SUBKINDS[n % len(KIND_SUBKINDS)]
            plan = Plan(f"{KEY_PREFIX}{office}:{n:04d}", office, n, story, kind, subkind)
            if story.name.startswith("transferred"):
                plan = replace(plan, origin=DEMO_OFFICES[(index + 1) % len(DEMO_OFFICES)])
            if story.name == "duplicate":
                survivor = next((p for p in reversed(mine) if _can_survive(p)), None)
                plan = replace(
                    plan, survivor=survivor, kind=survivor.kind, subkind=survivor.subkind
                )
            mine.append(plan)
        out += mine
    return out


def _weight(story: content.Story, office_index: int) -> int:
    return story.weight if office_index == 0 else max(1, story.weight // 4)


def _between(start: dt.datetime, end: dt.datetime) -> dt.datetime:
    """Half-way, to the minute."""
    return (start + (end - start) / 2).replace(second=0, microsecond=0)


def _can_survive(plan: Plan) -> bool:
    return plan.origin is None and _open_at_the_end(plan.story)


def _open_at_the_end(story: content.Story) -> bool:
    """A duplicate joins a request the office is still working on, made here."""
    final = story.steps[-1][0] if story.steps else SUBMITTED
    return final in OPEN_STATUSES and not story.name.startswith("transferred")


def _survivor_first(stories: list[content.Story]) -> None:
    """Put a request that can survive before the first duplicate, if none is."""
    first = next(i for i, s in enumerate(stories) if _open_at_the_end(s))
    if any(s.name == "duplicate" for s in stories[:first]):
        stories.insert(0, stories.pop(first))


def create_demo_tickets(
    env_name: str, keyring: Keyring, *, now: dt.datetime | None = None
) -> DemoResult:
    """Create the demo tickets that are missing; commits one ticket at a time."""
    if env_name not in DEMO_ENVIRONMENTS:
        raise DemoRefused(
            f"demo tickets are for development and testing only; this is {env_name!r}"
        )
    now = sla.as_utc(now).replace(microsecond=0)
    world = _World.load(keyring, now)
    with transaction():
        demo_office.seed_templates(now)
        demo_contacts(content.DEMO_CONTACTS)
    existing = set(
        db.session.scalars(
            select(Ticket.idempotency_key).where(Ticket.idempotency_key.startswith(KEY_PREFIX))
        )
    )
    result = DemoResult(existing=len(existing))
    with _quick_pin_hashes():
        for plan in plans():
            if plan.key in existing:
                continue
            with transaction():
                status = world.make(plan)
            result.created[plan.office] += 1
            result.statuses[status] += 1
    with transaction():
        sent_at = now - dt.timedelta(minutes=5)
        result.field_visits = demo_field.send_demo_officer(KEY_PREFIX, sent_at)
    return result


@contextmanager
def _quick_pin_hashes():
    """Demo PINs are never shown to anyone, and each Argon2 hash at the real
    cost (64 MiB, 3 passes; SECURITY.md AU1) takes a quarter of a second here:
    300 of them would be most of the command's time. So demo tickets get the
    same Argon2id at 1 MiB and one pass; verifying reads the cost from the hash."""
    real = crypto._argon2
    crypto._argon2 = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        yield
    finally:
        crypto._argon2 = real


@dataclass
class _World:
    """What the demo tickets are made from: offices, staff, places, the clock."""

    keyring: Keyring
    now: dt.datetime
    offices: dict[str, Office]
    actors: dict[str, Actor]
    handler: StaffUser
    operator: StaffUser
    villages: dict[str, list[str]]
    households: dict[str, list[tuple[int, str]]]

    @classmethod
    def load(cls, keyring: Keyring, now: dt.datetime) -> _World:
        offices = {
            o.code: o
            for o in db.session.scalars(select(Office).where(Office.code.in_(DEMO_OFFICES)))
        }
        if len(offices) != len(DEMO_OFFICES):
            raise DemoRefused("offices missing: run `flask regions load` first")
        emails = {a.role: a.email for a in DEMO_ACCOUNTS}
        staff = {
            u.role: u
            for u in db.session.scalars(
                select(StaffUser).where(StaffUser.email.in_(emails.values()))
            )
        }
        if not {"handler", "supervisor", "operator"} <= set(staff):
            raise DemoRefused("demo staff accounts missing: run `flask staff demo` first")
        handler, supervisor = staff["handler"], staff["supervisor"]
        actors = {code: Actor.staff(supervisor.id, "supervisor") for code in DEMO_OFFICES}
        actors[DEMO_OFFICES[0]] = Actor.staff(handler.id, "handler")
        villages, households = {}, {}
        for office in offices.values():
            prefix = office.region_code + "."
            villages[office.code] = list(
                db.session.scalars(
                    select(Region.code)
                    .where(Region.level == VILLAGE, Region.code.startswith(prefix))
                    .order_by(Region.code)
                    .limit(40)
                )
            )
            households[office.code] = list(
                db.session.execute(
                    select(Household.id, Household.village_code)
                    .where(
                        Household.village_code.startswith(prefix), Household.removed_at.is_(None)
                    )
                    .order_by(Household.id)
                    .limit(400)
                )
            )
        return cls(keyring, now, offices, actors, handler, staff["operator"], villages, households)

    # -- one ticket ---------------------------------------------------------------------

    def make(self, plan: Plan) -> str:
        rng = random.Random(plan.key)
        times = self._times(plan.story, rng)
        files = content.store_pictures(
            rng, plan.subkind, self._file_count(plan, rng), plan.key[-4:]
        )
        answers = self._answers(plan, rng)
        assisted = answers.village_code == self.operator.village_code and rng.random() < 0.5
        if assisted:  # the consent the operator recorded (its own draws: the rest unchanged)
            crng = random.Random(plan.key + ":consent")
            answers = replace(
                answers,
                consent_method=crng.choice(CONSENT_METHODS),
                consent_by=content.person_name(crng),
            )
        submitted = submit_ticket(
            answers,
            idempotency_key=plan.key,
            keyring=self.keyring,
            now=times[0],
            evidence=files,
            staff_id=self.operator.id if assisted else None,
        )
        ticket = db.session.get(Ticket, submitted.ticket_id)
        first_outbox = db.session.scalar(select(func.max(OutboxMessage.id)))
        if plan.story.name == "claimed" and plan.office == DEMO_OFFICES[0]:
            demo_office.claim(ticket, self.handler, min(times[0] + dt.timedelta(hours=1), self.now))
        outcome = next((s for s, _ in plan.story.steps if s in (ACCEPTED, REJECTED)), None)
        before = times[0]
        for (to_status, who), at in zip(plan.story.steps, times[1:], strict=True):
            self._move(plan, ticket, to_status, who, (before, at), rng, outcome)
            before = at
        if ticket.status == FIELD_CHECK and rng.random() < 0.4:  # visited, not yet verified
            actor = self.actors[plan.office]
            demo_office.record_visit(ticket, actor, None, _between(before, self.now), rng, plan.key)
        # Demo tickets announce nothing: the notification worker must not send them.
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id >= (first_outbox or 0), OutboxMessage.status == "pending")
            .values(status="skipped", last_error="demo data: not announced")
        )
        return ticket.status

    def _move(self, plan: Plan, ticket: Ticket, to_status, who, span, rng, outcome) -> None:
        """One step of the story at ``span[1]`` (``span[0]``: the step before)."""
        if who == content.RESIDENT:
            self._resident_move(plan, ticket, to_status, span[1], rng)
            return
        before, at = span
        actor = self.actors[plan.origin if who == content.ORIGIN else plan.office]
        if to_status == VERIFIED:  # the field check's visit, half-way between
            demo_office.record_visit(ticket, actor, outcome, _between(before, at), rng, plan.key)
        name = office_moves.name_for(ticket.status, to_status)
        text, _public = content.MOVE_NOTES.get(to_status, (None, False))
        given = demo_office.move_input(ticket, name, text, at, rng)
        if name == "transfer":
            given.office_id = self.offices[plan.office].id
        elif name == "duplicate":
            given.duplicate_of = db.session.scalar(
                select(Ticket).where(Ticket.idempotency_key == plan.survivor.key)
            )
        office_moves.make(ticket, name, actor, given, now=at)
        if given.note is None and text:  # a button move: its word is an internal note
            demo_office.note(ticket, actor, text, at, self.keyring)
        home = plan.office == DEMO_OFFICES[0]
        if name == "triage" and home and rng.random() < 0.25:  # back to the office's pool
            assign.assign(ticket, None, self.handler, now=at)
        later = at + dt.timedelta(minutes=20)
        if rng.random() < 0.3 and later < self.now:
            demo_office.note(ticket, actor, rng.choice(content.EXTRA_NOTES), later, self.keyring)

    def _resident_move(self, plan: Plan, ticket: Ticket, to_status: str, at, rng) -> None:
        text, public = content.MOVE_NOTES.get(to_status, (None, False))
        actor = Actor.resident()
        if to_status == IN_REVIEW:  # the reply to needs_info, with a new picture
            more = content.store_pictures(rng, plan.subkind, 1, "reply")
            add_evidence(ticket, more, actor, now=at - dt.timedelta(minutes=2))
            text, public = content.RESIDENT_REPLY, True
        transition(ticket, to_status, actor, text, public, now=at, keyring=self.keyring)

    def _answers(self, plan: Plan, rng: random.Random) -> TicketAnswers:
        subject = plan.survivor or plan
        srng = random.Random(subject.key + ":subject")
        where = subject.origin or subject.office
        households = self.households[where] if subject.kind != "proposal" else []
        common = {
            "kind": plan.kind,
            "subkind": plan.subkind,
            "consent_version": CONSENT_VERSION,
            "reason_codes": content.REASONS.get(plan.subkind, ()),
            "details": content.DETAILS[plan.subkind],
            "reporter_contact": content.phone(rng) if rng.random() < 0.6 else None,
        }
        if households:
            household_id, village = srng.choice(households)
            return TicketAnswers(household_id=household_id, village_code=village, **common)
        return TicketAnswers(
            village_code=srng.choice(self.villages[where]),
            subject_name=content.person_name(srng),
            subject_address=content.address(srng),
            **common,
        )

    @staticmethod
    def _file_count(plan: Plan, rng: random.Random) -> int:
        if plan.n % 50 == 7:
            return 4 if plan.story.name == "info_received" else 5
        return rng.choices((0, 1, 2, 3), weights=(35, 35, 20, 10))[0]

    def _times(self, story: content.Story, rng: random.Random) -> list[dt.datetime]:
        """When each event happened: at office hours (WIB) on days counted back from now."""
        today = sla.local_date(self.now)
        gaps = story.gaps
        if story.name == "due_today":
            starts = [today - dt.timedelta(days=d) for d in range(1, 12)]
            start = next((d for d in starts if sla.add_working_days(d, 3) == today), None)
            gaps = ((today - start).days,) if start else (1,)
        times: list[dt.datetime] = []
        for i in range(len(gaps)):
            day = today - dt.timedelta(days=sum(gaps[i:]))
            local = dt.datetime.combine(day, dt.time(rng.randint(8, 14), rng.randint(0, 59)))
            at = local.replace(tzinfo=sla.WIB).astimezone(dt.UTC)
            at = min(at, self.now - dt.timedelta(minutes=10 * (len(gaps) - i)))
            if times and at <= times[-1]:
                at = times[-1] + dt.timedelta(minutes=1)
            times.append(at)
        return times
