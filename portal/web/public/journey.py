"""A submission in progress: which questions each kind asks, in which order,
and the server-side draft that carries the answers between pages.

Both channels use it (``channel.py``): a resident's own journey and an
operator's for a resident (``/office/assist``), each under its own session
keys; an operator's journey is fixed to their village (``fixed_village``:
the village question is not asked).

The draft id lives in the Flask session (never in a URL); the answers are an
encrypted draft row (``portal.tickets.drafts.save_draft``). The household
a status check proved (``lookup.proven_household_id``, a server-side proof
that lasts 30 minutes since the last step) prefills the subject: the
resident never types a NIK here.

A draft saved while a household was proven is bound to it: it is shown only
while that same household is proven in this session. A lookup of another
household (or one that finds nothing) and "I am done" discard it, files and
all (a village office PC: the next resident must never see or send it).
While no household is proven it is held, not shown (``Journey.held``): a
new lookup of the same household resumes it.

Answers (the draft's JSON document):

=================  ============================================================
``subkind``        what exactly is asked (``models.SUBKINDS[kind]``)
``subject_name``   the subject household when it is not taken from the lookup
``subject_address``
``region_path``    the region codes chosen so far, province first
``village_code``   the chosen desa/kelurahan
``reason_codes``   list of reason codes; ``details`` the free text
``evidence``       list of stored-file descriptors (``evidence.StoredFile``)
``reporter_contact`` optional phone or email; ``consent_version``
``consent_method`` an operator's record of the resident's consent
                   (``models.CONSENT_METHODS``), ``consent_by`` who gave it,
                   ``consent_form`` the photo of the signed form (a stored-file
                   descriptor, apart from ``evidence``)
``add_to_existing`` True once the resident chose to add these answers to the
                   household's request already under review (no contact asked)
``send_as_new``    True once that request could not take them (full): they
                   are sent as a new request, the open one notwithstanding
``done``           the questions answered, in any order
=================  ============================================================
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from flask import current_app, flash, g, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.db import keyring, transaction
from portal.extensions import db
from portal.i18n import current_lang
from portal.regions.models import Region
from portal.registry.models import Household
from portal.tickets import evidence
from portal.tickets.drafts import discard_draft, load_draft, save_draft
from portal.tickets.evidence import StoredFile
from portal.tickets.models import Ticket
from portal.tickets.service import MEMBER_SUBKINDS, TicketAnswers, find_open_duplicate
from portal.web.public import channel
from portal.web.public.lookup import end_proof, proven_household_id

#: The Flask session key: ``{kind: draft id}`` (the public channel's;
#: ``channel.Channel.drafts_key`` in general).
SESSION_DRAFTS = channel.PUBLIC.drafts_key
#: The confirmation this session may show again (``portal.tickets.confirmations``).
SESSION_SENT = channel.PUBLIC.sent_key
#: The version of the consent text on the consent page (UU PDP 27/2022).
CONSENT_VERSION = "2026-01"
#: Every question page, in the order they are asked.
QUESTIONS = ("subkind", "subject", "village", "reasons", "evidence", "contact", "consent")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Journey:
    kind: str
    answers: dict = field(default_factory=dict)
    draft_id: str | None = None
    #: The household of the resident's status check, if any.
    household_id: int | None = None
    #: The session's draft is bound to a household no longer proven (the
    #: check expired): nothing of it is shown until the same household is
    #: proven again. Such a journey is never saved.
    held: bool = False
    #: The only village it may be about (an operator's assisted submission):
    #: the village question is not asked.
    fixed_village: str | None = None

    @property
    def subkind(self) -> str | None:
        return self.answers.get("subkind")

    @property
    def done(self) -> list[str]:
        return self.answers.setdefault("done", [])

    def mark_done(self, question: str) -> None:
        if question not in self.done:
            self.done.append(question)

    def forget_done(self, *questions: str) -> None:
        self.answers["done"] = [q for q in self.done if q not in questions]

    @property
    def adding_to_existing(self) -> bool:
        return bool(self.answers.get("add_to_existing"))

    def needs_registry_household(self) -> bool:
        """Corrections and objection (a) are about the resident's own registry entry."""
        return self.kind == "correction" or (
            self.kind == "objection" and self.subkind == "own_ranking"
        )

    def subject_from_lookup(self) -> bool:
        own = self.needs_registry_household() or (
            self.kind == "proposal" and self.subkind == "own_household"
        )
        return own and self.household_id is not None

    def questions(self) -> list[str]:
        """The questions this journey asks, given the answers so far."""
        if self.subkind is None:
            return ["subkind"]
        asked = ["subkind"]
        if not self.needs_registry_household() and not self.subject_from_lookup():
            asked.append("subject")
            if self.household_id is None and self.fixed_village is None:
                asked.append("village")
        if self.adding_to_existing:
            # The request under review keeps its own reporter's contact.
            return [*asked, "reasons", "evidence", "consent"]
        return [*asked, "reasons", "evidence", "contact", "consent"]

    def next_question(self) -> str | None:
        """The first question not answered yet; None when only checking is left."""
        return next((q for q in self.questions() if q not in self.done), None)

    def may_ask(self, question: str) -> bool:
        asked = self.questions()
        if question not in asked:
            return False
        return all(q in self.done for q in asked[: asked.index(question)])

    def previous_question(self, question: str | None) -> str | None:
        asked = self.questions()
        if question is None:
            return asked[-1]
        index = asked.index(question) if question in asked else 0
        return asked[index - 1] if index > 0 else None

    def evidence(self) -> list[StoredFile]:
        return [StoredFile(**d) for d in self.answers.get("evidence", [])]

    def village_code(self) -> str | None:
        if self.subject_from_lookup() or self.household_id is not None:
            return household_village(self.household_id)
        return self.fixed_village or self.answers.get("village_code")

    def ticket_answers(self) -> TicketAnswers:
        from_lookup = self.subject_from_lookup()
        return TicketAnswers(
            kind=self.kind,
            subkind=self.subkind or "",
            consent_version=self.answers.get("consent_version", ""),
            household_id=self.household_id if from_lookup else None,
            village_code=None if from_lookup else self.village_code(),
            subject_name=None if from_lookup else self.answers.get("subject_name"),
            subject_address=None if from_lookup else self.answers.get("subject_address"),
            reason_codes=tuple(self.answers.get("reason_codes", ())),
            details=self.answers.get("details", ""),
            reporter_contact=self.answers.get("reporter_contact") or None,
            lang=current_lang(),
            consent_method=self.answers.get("consent_method"),
            consent_by=self.answers.get("consent_by"),
        )

    def consent_form(self) -> StoredFile | None:
        """The photo of the signed consent form (assisted submissions only)."""
        item = self.answers.get("consent_form")
        return StoredFile(**item) if item else None

    def files_to_send(self) -> list[StoredFile]:
        form = self.consent_form()
        return [*self.evidence(), *([form] if form else [])]


def open_duplicate(journey: Journey) -> Ticket | None:
    """The household's open request of the same kind (and subkind), if this
    journey's subject is the household the session proved it knows (NIK and
    name, through the lookup).

    Only then: the "already under review" page shows that request's status
    and date and lets the resident add to it, which must not be open to
    anyone who merely types a name and a village (that would reveal, for
    example, that a confidential objection exists). Requests about a
    described household are always sent; the office marks duplicates. A
    correction about one member is never a duplicate of another
    (``service.MEMBER_SUBKINDS``)."""
    if "subkind" not in journey.done or not journey.subject_from_lookup():
        return None
    if journey.subkind in MEMBER_SUBKINDS:
        return None
    return find_open_duplicate(
        journey.kind, household_id=journey.household_id, subkind=journey.subkind
    )


def check_duplicate(journey: Journey) -> Ticket | None:
    """``open_duplicate``, called on every page once the subject and kind are
    known. A journey adding to a request that was decided meanwhile goes back
    to sending a new request, and is told so. One that chose to be sent as
    a new request (the open one was full) has no duplicate."""
    if journey.answers.get("send_as_new"):
        return None
    duplicate = open_duplicate(journey)
    if duplicate is None and journey.adding_to_existing:
        journey.answers.pop("add_to_existing", None)
        save(journey)
        flash(
            _(
                "The request under review was decided in the meantime. "
                "Your answers will be sent as a new request."
            )
        )
    return duplicate


def question_url(kind: str, question: str | None) -> str:
    """The page of a question in this request's channel; ``None`` is the
    check-your-answers page. The first question is the journey's stable
    entry URL (DESIGN.md §3)."""
    here = channel.current()
    if question is None:
        return here.url("check", kind=kind)
    if question == "subkind":
        return here.url("start", kind=kind)
    return here.url("question", kind=kind, name=question)


def next_url(journey: Journey) -> str:
    return question_url(journey.kind, journey.next_question())


def load(kind: str) -> Journey:
    """The journey of ``kind`` in this session: its draft, or a new one.

    Each step renews the proof of the lookup. A draft bound to another
    household than the one proven is discarded; one bound to a household
    while none is proven is held (see the module's docstring)."""
    household_id = proven_household_id(renew=True)
    village = channel.fixed_village()
    draft_id = _drafts().get(kind)
    if draft_id:
        draft = load_draft(draft_id, keyring=keyring(), now=now())
        if draft is not None:
            if draft.household_id in (None, household_id):
                answers = dict(draft.answers)
                return Journey(kind, answers, draft.id, household_id, fixed_village=village)
            if household_id is None:
                return Journey(kind, {}, None, None, held=True, fixed_village=village)
            _discard(draft_id, draft.answers)
            _drop_from_session(kind)
    return Journey(kind, {}, None, household_id, fixed_village=village)


def _drafts() -> dict:
    return session.get(channel.current().drafts_key, {})


def _set_drafts(drafts: dict) -> None:
    session[channel.current().drafts_key] = drafts


def discard_drafts(*, bound_only: bool = False, keep_household: int | None = None) -> None:
    """Discard this session's drafts, files and all ("I am done"). After a
    new lookup (``bound_only``), only those bound to a household other than
    ``keep_household`` (the one proven now, None if nothing was found): a
    draft started before any lookup, or of the same household, goes on."""
    drafts = dict(_drafts())
    for kind, draft_id in list(drafts.items()):
        draft = load_draft(draft_id, keyring=keyring(), now=now())
        if draft is not None and bound_only and draft.household_id in (None, keep_household):
            continue
        if draft is not None:
            _discard(draft_id, draft.answers)
        del drafts[kind]
    if drafts != _drafts():
        _set_drafts(drafts)


def _discard(draft_id: str, answers: dict) -> None:
    with transaction():
        discard_draft(draft_id)
    for item in _draft_files(answers):
        evidence.delete_stored(item["stored_name"])


def _draft_files(answers: dict) -> list[dict]:
    """The stored files a draft holds: its evidence and the consent form."""
    form = answers.get("consent_form")
    return [*answers.get("evidence", []), *([form] if form else [])]


def _drop_from_session(kind: str) -> None:
    drafts = dict(_drafts())
    drafts.pop(kind, None)
    _set_drafts(drafts)


def save(journey: Journey) -> None:
    if journey.held:
        # Saving would replace the held draft with a new one.
        raise RuntimeError("a held journey is never saved")
    with transaction():
        journey.draft_id = save_draft(
            journey.kind,
            journey.answers,
            keyring=keyring(),
            now=now(),
            draft_id=journey.draft_id,
            household_id=journey.household_id,
        )
    _set_drafts({**_drafts(), journey.kind: journey.draft_id})
    _keep_files_fresh(journey)


def _keep_files_fresh(journey: Journey) -> None:
    """Touch the draft's files on every save: ``flask evidence sweep`` only
    removes unreferenced files older than the draft lifetime, and a draft
    that is still being answered renews its lifetime."""
    for item in _draft_files(journey.answers):
        evidence.touch_stored(item["stored_name"])


def forget(journey: Journey, *, discard: bool = False) -> None:
    """Drop the journey from the session (after sending), optionally its draft too."""
    if discard and journey.draft_id:
        with transaction():
            discard_draft(journey.draft_id)
    _drop_from_session(journey.kind)
    # On a shared phone the next person must not start a request for this
    # household: after sending, the status check has to be done again.
    end_proof()


def next_resident() -> None:
    """An operator's "next resident": every journey they had started, files
    and all, and their lookup's proof end now."""
    discard_drafts()
    end_proof()


def session_draft_id(kind: str) -> str | None:
    """The draft id this session holds for ``kind``, even once the draft is gone
    (sent): it names the confirmation of that send."""
    return _drafts().get(kind)


def mark_sent(journey: Journey, confirmation_id: str) -> None:
    """After sending: the journey leaves the session, its confirmation stays."""
    forget(journey)
    session[channel.current().sent_key] = confirmation_id


def sent_confirmation_id() -> str | None:
    return session.get(channel.current().sent_key)


def clear_sent() -> None:
    session.pop(channel.current().sent_key, None)


def stored_descriptor(stored: StoredFile) -> dict:
    return dataclasses.asdict(stored)


# Regions -----------------------------------------------------------------------------


def household_village(household_id: int | None) -> str | None:
    if household_id is None:
        return None
    return db.session.scalar(select(Household.village_code).where(Household.id == household_id))


def child_regions(parent_code: str | None) -> list[tuple[str, str]]:
    """(code, name) of the regions under ``parent_code`` (provinces for None), by
    name; read once per request (the village page checks a POST's choices, then
    lists the same levels again when one is missing)."""
    known = g.setdefault("child_regions", {})
    if parent_code not in known:
        query = select(Region.code, Region.name).where(
            Region.parent_code == parent_code if parent_code else Region.parent_code.is_(None)
        )
        rows = db.session.execute(query.order_by(Region.name))
        known[parent_code] = [(code, name) for code, name in rows]
    return known[parent_code]


def region_path_names(village_code: str | None) -> list[str]:
    """The names from the village up to the province."""
    if not village_code:
        return []
    parts = village_code.split(".")
    codes = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    rows = db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes)))
    names = {code: name for code, name in rows}
    return [names[c] for c in reversed(codes) if c in names]


def url_for_tracking(token: str) -> str:
    """The tracking link printed on the receipt and in its QR code: built on
    the configured public address, never on whatever Host header arrived."""
    base = current_app.config["PUBLIC_BASE_URL"]  # checked at start (config.check_settings)
    return base.rstrip("/") + url_for("track.by_token", token=token)
