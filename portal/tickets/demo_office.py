"""The office's side of a demo ticket (``portal.tickets.demo``): field visits
with findings and photos, decisions with reason codes and a public
explanation started from the reply templates, claims and notes.

Everything goes through the paths the office's pages use
(``visits.record_visit``, ``office_moves.make``, the note form's
``add_note`` and audit row), so the demo's tickets carry the same events and
audit rows as real ones.
"""

from __future__ import annotations

import datetime as dt
import random

from flask import current_app
from sqlalchemy import func, select

from portal.audit import log as audit
from portal.crypto import Keyring
from portal.extensions import db
from portal.registry.schema import CONDITION_VALUES
from portal.staff.models import StaffUser
from portal.tickets import decisions, evidence, replies, sla, visits
from portal.tickets.demo_content import picture
from portal.tickets.models import Evidence, ReplyTemplate, Ticket
from portal.tickets.office_moves import MoveInput
from portal.tickets.workflow import ACCEPTED, REJECTED, Actor, add_note

#: The variables a visit about this subkind finds changed, when the request is right.
CHANGED = {
    "house_changed": ("roof_material", "wall_material"),
    "own_ranking": ("floor_material", "lighting_source", "cooking_fuel"),
    "ineligible_recipient": ("floor_material", "wall_material", "floor_area_m2"),
}
#: Objections about a recipient say the house is better than the registry holds;
#: every other request says it is worse (the values go from worse to better).
BETTER = ("ineligible_recipient",)
VISIT_NOTES = (
    "Kunjungan bersama pendamping desa dan ketua RT.",
    "Pemilik rumah ada di tempat dan menunjukkan kondisi rumah.",
    "Tetangga membenarkan keterangan pemohon.",
)
#: Most a ticket carries, the resident's files and the visit's photos together.
MAX_FILES = 5


def seed_templates(now: dt.datetime) -> int:
    """The national reply templates, when there are none yet (``flask templates seed``)."""
    if db.session.scalar(select(func.count()).select_from(ReplyTemplate)):
        return 0
    return replies.seed_defaults(now)


def recommendation(outcome: str | None, rng: random.Random) -> str:
    """What the officer recommends, consistent with what the office decided later."""
    if outcome == ACCEPTED:
        return "request_right"
    if outcome == REJECTED:
        return "registry_right"
    return rng.choices(visits.RECOMMENDATIONS, weights=(4, 4, 2))[0]


def findings(ticket: Ticket, advice: str, rng: random.Random) -> dict[str, str | int | None]:
    """What the officer saw: the registry's values, some of them different
    when the request is right (or unclear), a few left unchecked."""
    registry = visits.registry_values(ticket)
    changed = CHANGED.get(ticket.subkind, ("floor_material",))
    if advice == "request_right":
        differ = set(rng.sample(changed, rng.randint(1, len(changed))))
    elif advice == "unclear":
        differ = {rng.choice(changed)}
    else:
        differ = set()
    better = ticket.subkind in BETTER
    seen: dict[str, str | int | None] = {}
    for name in visits.VARIABLES:
        known = registry[name]
        if name == "household_size" and rng.random() < 0.3:
            seen[name] = None  # not asked this time
        elif known is None:
            seen[name] = _any_value(name, rng)
        elif name in differ:
            seen[name] = _other_value(name, known, better, rng)
        else:
            seen[name] = known
    if advice == "unclear":
        seen[rng.choice(("drinking_water", "toilet_facility"))] = None
    return seen


def _any_value(name: str, rng: random.Random) -> str | int:
    if name == "floor_area_m2":
        return rng.randint(18, 90)
    if name == "household_size":
        return rng.randint(1, 7)
    return rng.choice(CONDITION_VALUES[name])


def _other_value(name: str, known, better: bool, rng: random.Random) -> str | int:
    if name in visits.NUMERIC:
        step = max(1, round(known * rng.uniform(0.2, 0.4))) if name == "floor_area_m2" else 1
        return known + step if better or known - step < 1 else known - step
    values = CONDITION_VALUES[name]
    at = values.index(known) if known in values else 0
    side = values[at + 1 :] if better else values[:at]
    return rng.choice(side or [v for v in values if v != known])


def photos(ticket: Ticket, rng: random.Random) -> list[evidence.StoredFile]:
    """None, one or two photos of the house, checked and stored like any upload."""
    held = db.session.scalar(
        select(func.count()).select_from(Evidence).where(Evidence.ticket_id == ticket.id)
    )
    count = min(rng.choices((0, 1, 2), weights=(5, 3, 2))[0], MAX_FILES - held)
    stored = []
    for i in range(max(0, count)):
        doc_type = ("house_front", "house_inside")[i]
        name, data = picture(doc_type, f"kunjungan-{i + 1}", png=rng.random() < 0.3)
        processed = evidence.process_upload(name, data, doc_type=doc_type, keep_gps=False)
        stored.append(evidence.store(processed))
    return stored


def record_visit(
    ticket: Ticket,
    actor: Actor,
    outcome: str | None,
    at: dt.datetime,
    rng: random.Random,
    key: str,
) -> None:
    """A visit of ``ticket`` (in ``field_check``) recorded at ``at``, made that day."""
    advice = recommendation(outcome, rng)
    officer = rng.choice(visits.officers(ticket, actor.staff_id))
    visits.record_visit(
        ticket,
        actor,
        sla.local_date(at),
        officer.id,
        findings(ticket, advice, rng),
        rng.choice(VISIT_NOTES) if rng.random() < 0.6 else None,
        advice,
        photos(ticket, rng),
        at,
        idempotency_key=f"{key}:visit",
    )


def reasons(ticket: Ticket, outcome: str, rng: random.Random) -> list[str]:
    """One or two of the configured reason codes that fit the ticket."""
    configured = decisions.reason_codes(current_app.config, outcome)
    if outcome == ACCEPTED:
        first = {"correction": "data_corrected", "proposal": "meets_criteria"}
        liked = [first.get(ticket.kind, "conditions_confirmed"), "documents_valid"]
    else:
        visited = ticket.kind == "objection" or ticket.subkind == "house_changed"
        liked = [
            "conditions_not_confirmed" if visited else "not_meeting_criteria",
            "already_registered" if ticket.household_id else "documents_missing",
        ]
    chosen = [code for code in liked if code in configured][: rng.randint(1, 2)]
    return chosen or list(configured[:1])


def explanation(ticket: Ticket, outcome: str, at: dt.datetime, rng: random.Random) -> str | None:
    """A public explanation from the office's Indonesian templates, filled in
    as the decision page fills it (the appeal period's end as ``{due_date}``)."""
    rows = [r for r in replies.effective(replies.office_of(ticket), outcome) if r.lang == "id"]
    if not rows:
        return None
    rules = sla.rules_from_config(current_app.config)
    return replies.render(
        rng.choice(rows).body,
        reference=ticket.reference,
        due_date=sla.appeal_deadline(sla.local_date(at), rules),
        lang="id",
    )


def move_input(ticket: Ticket, name: str, text: str | None, at, rng) -> MoveInput:
    """What the move's form would give: a decision's reasons and explanation,
    the question asked, the transfer's (internal) reason."""
    given = MoveInput()
    if name in ("accept", "reject"):
        outcome = ACCEPTED if name == "accept" else REJECTED
        given.reasons = reasons(ticket, outcome, rng)
        given.note = explanation(ticket, outcome, at, rng) or text
    elif name in ("ask", "transfer"):
        given.note = text
    return given


def claim(ticket: Ticket, staff: StaffUser, at: dt.datetime) -> None:
    """As ``assign.claim_next`` does for the handler's "next ticket" button."""
    ticket.assignee_id = staff.id
    ticket.updated_at = at
    db.session.flush()
    audit.record(
        "claimed",
        staff_id=staff.id,
        ticket_id=ticket.id,
        target_staff_id=staff.id,
        office_id=ticket.office_id,
        now=at,
    )


def note(ticket: Ticket, actor: Actor, text: str, at: dt.datetime, keyring: Keyring) -> None:
    """An internal note, as the ticket page's note form makes it."""
    add_note(ticket, actor, text, now=at, keyring=keyring)
    audit.record("note", staff_id=actor.staff_id, ticket_id=ticket.id, now=at)
