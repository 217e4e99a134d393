"""The resident's text and files after opening their request (issue 11 §2, §4):

* ``/track/<reference>/reply``: the answer to the office's question, while
  the request waits for it (``needs_info``);
* ``/track/<reference>/appeal``: the appeal of a decision, once, inside the
  appeal window.

Both are the one text-and-files page (``portal.web.text_and_files``) with
their own words and send (``portal.tickets.resident_reply``), behind the
grant of opening the request by PIN or link (``track_access``). Each has a
sent page, reached again by a second send with the same key.
``answer_extras`` gives the status page the office's question and the
appeal's deadline (``_question.html``, ``_appeal.html``).
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, request, session, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.db import keyring
from portal.extensions import db
from portal.regions.models import Office
from portal.tickets import resident_reply, sla
from portal.tickets.models import P_EVENT_NOTE, Evidence, Ticket, TicketEvent
from portal.tickets.resident_reply import NothingToSend
from portal.tickets.service import InvalidAnswers
from portal.tickets.workflow import (
    NEEDS_INFO,
    Actor,
    InvalidTransition,
    appeal_refusal,
    public_label,
)
from portal.web import large_bodies, text_and_files, text_drafts
from portal.web.pages import private_page
from portal.web.public import journey, track_access
from portal.web.public.track_access import resident_ticket
from portal.web.text_and_files import TOO_MANY_FILES, Page, SendRefused

bp = Blueprint("reply", __name__)

KINDS = "<any(reply, appeal):kind>"
NOT_WAITING = _l(
    "The office is no longer waiting for a reply to this request (its status is now "
    "“%(status)s”). Your text is kept below; to add something, contact the office."
)
APPEAL_REFUSALS = {
    "already_appealed": _l("This decision was already appealed. A decision can be appealed once."),
    "appeal_window_closed": _l(
        "The time to appeal this decision has ended (the last day was %(date)s)."
    ),
    "not_a_move": _l("This request has no decision that can be appealed now."),
}


def now() -> dt.datetime:
    return journey.now()


@bp.route("/track/<reference>/reply", methods=["GET", "POST"])
@resident_ticket
def reply(ticket: Ticket):
    return text_and_files.handle(_page(ticket, "reply"))


@bp.route("/track/<reference>/appeal", methods=["GET", "POST"])
@resident_ticket
def appeal(ticket: Ticket):
    return text_and_files.handle(_page(ticket, "appeal"))


@track_access.keeps_typed("reply.reply", "reply.appeal")
def _keep_typed(ticket: Ticket) -> bool:
    """A send after the grant ended: the text waits in the draft for the PIN."""
    return text_drafts.keep_text(_page(ticket, request.endpoint.removeprefix("reply.")))


@bp.get(f"/track/<reference>/{KINDS}/sent/<key>")
@resident_ticket
def sent(ticket: Ticket, kind: str, key: str):
    event = resident_reply.sent_event(ticket, key)
    if event is None:
        abort(404)
    return private_page(
        "public/track/reply_sent.html",
        kind=kind,
        ticket=ticket,
        office=db.session.get(Office, ticket.office_id),
        status_url=status_url(ticket),
    )


@bp.get(f"/track/<reference>/{KINDS}/files/<int:index>/preview")
@resident_ticket
def preview(ticket: Ticket, kind: str, index: int):
    return text_and_files.preview(_page(ticket, kind), index)


def _page(ticket: Ticket, kind: str) -> Page:
    ring = keyring()
    reply_page = kind == "reply"

    def send(text, files, key):
        given = {"idempotency_key": key, "now": now(), "keyring": ring}
        try:
            if reply_page:
                resident_reply.send_reply(ticket, text, files, Actor.resident(), **given)
            else:
                resident_reply.send_appeal(ticket, text, files, **given)
        except InvalidTransition as refused:
            raise SendRefused(_refusal(ticket, kind, refused.code)) from refused
        except InvalidAnswers as refused:
            raise SendRefused(str(TOO_MANY_FILES), 400) from refused
        except NothingToSend as refused:
            raise SendRefused(_("Write your reply or add a file"), 400) from refused

    def render(form, draft, remaining, http_status):
        return private_page(
            "public/track/text_and_files.html",
            http_status,
            form=form,
            kind=kind,
            ticket=ticket,
            files=draft.files,
            remaining=remaining,
            question=latest_question(ticket) if reply_page else None,
            status_url=status_url(ticket),
            blocked=_current_refusal(ticket, kind) is not None,
            preview_url=lambda index: url_for(
                "reply.preview", reference=ticket.reference, kind=kind, index=index
            ),
            **text_and_files.PAGE_HELPERS,
        )

    return Page(
        kind=kind,
        ticket=ticket,
        attached=attached_files(ticket),
        send=send,
        sent_before=lambda key: resident_reply.sent_event(ticket, key) is not None,
        done_url=lambda key: url_for("reply.sent", reference=ticket.reference, kind=kind, key=key),
        render=render,
        refusal=lambda: _current_refusal(ticket, kind),
        text_required=not reply_page,
        text_label=str(_l("Your reply") if reply_page else _l("Why is the decision wrong?")),
        text_hint=str(REPLY_HINT if reply_page else APPEAL_HINT),
        now=lambda: now(),
    )


REPLY_HINT = _l(
    "Answer the office's question. For example: “The new family card (KK) was made in "
    "February; a photo of it is attached.”"
)
APPEAL_HINT = _l(
    "Say what the office got wrong and what is right. For example: “Our house still has an "
    "earth floor; the officer visited our neighbour's house.” Add photos or letters that show it."
)


def _current_refusal(ticket: Ticket, kind: str) -> str | None:
    if kind == "reply":
        if ticket.status == NEEDS_INFO:
            return None
        return _refusal(ticket, kind, "not_a_move")
    code = appeal_refusal(ticket, sla.local_date(now()))
    return None if code is None else _refusal(ticket, kind, code)


def _refusal(ticket: Ticket, kind: str, code: str) -> str:
    if kind == "reply":
        return str(NOT_WAITING) % {"status": public_label(ticket.status)}
    text = APPEAL_REFUSALS.get(code, APPEAL_REFUSALS["not_a_move"])
    if code == "appeal_window_closed" and ticket.appeal_until is not None:
        return str(text) % {"date": format_date(ticket.appeal_until, "long")}
    return str(text) % {"date": ""}


def attached_files(ticket: Ticket) -> int:
    """The resident's files the ticket holds (a field visit's photos do not count)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Evidence)
        .where(Evidence.ticket_id == ticket.id, Evidence.field_visit_id.is_(None))
    )


def latest_question(ticket: Ticket) -> str | None:
    """The office's question: the note of the latest public ``info_requested`` event."""
    note = db.session.scalar(
        select(TicketEvent.note_enc)
        .where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.kind == "info_requested",
            TicketEvent.public.is_(True),
        )
        .order_by(TicketEvent.at.desc(), TicketEvent.id.desc())
        .limit(1)
    )
    return keyring().decrypt(note, P_EVENT_NOTE) if note else None


def status_url(ticket: Ticket) -> str:
    """The request's status page (``/track/<reference>``)."""
    return url_for("track.status", reference=ticket.reference)


def answer_extras(ticket: Ticket) -> dict:
    """What ``_question.html`` and ``_appeal.html`` show on the status page."""
    waiting = ticket.status == NEEDS_INFO
    may_appeal = _current_refusal(ticket, "appeal") is None
    return {
        "answer_question": latest_question(ticket) if waiting else None,
        "answer_reply_url": url_for("reply.reply", reference=ticket.reference) if waiting else None,
        "answer_appeal_until": ticket.appeal_until if may_appeal else None,
        "answer_appeal_url": (
            url_for("reply.appeal", reference=ticket.reference) if may_appeal else None
        ),
    }


# The request body -------------------------------------------------------------------------

PAGES = ("reply.reply", "reply.appeal")


def _too_large_page() -> Page | None:
    ticket = track_access.granted_ticket((request.view_args or {}).get("reference", ""))
    return None if ticket is None else _page(ticket, request.endpoint.removeprefix("reply."))


# Only for a session holding a grant.
large_bodies.raise_limit(bp, PAGES, lambda: bool(session.get(track_access.SESSION_KEY)))
large_bodies.keep_page_on_too_large(bp, PAGES, _too_large_page)
