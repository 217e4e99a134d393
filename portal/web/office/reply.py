"""A village operator passes on a resident's reply (issue 11 §2).

A resident without a phone or internet comes to the village office with the
answer to the office's question and the papers it asked for. Their village's
operator types the answer and uploads the papers on
``/office/tickets/<reference>/reply``, the resident's own text-and-files page
(``portal.web.text_and_files``) with ``send_reply`` as the operator: the
event's actor is the operator (assisted, like an assisted submission) and an
audit row records it. Only operators (handlers answer through the office's
own moves, never for a resident), only for tickets of their own village
(``visible_ticket_or_404``), only while the ticket waits for the reply.
"""

from __future__ import annotations

from flask import flash, g, request, session, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit import log as audit
from portal.db import keyring
from portal.extensions import db
from portal.staff.permissions import can_see_ticket
from portal.tickets import resident_reply
from portal.tickets.models import Ticket
from portal.tickets.resident_reply import NothingToSend
from portal.tickets.service import InvalidAnswers
from portal.tickets.workflow import NEEDS_INFO, Actor, InvalidTransition
from portal.web import large_bodies, text_and_files
from portal.web.office import auth, bp
from portal.web.office.auth import staff_required
from portal.web.office.tickets import section, visible_ticket_or_404
from portal.web.pages import private_page
from portal.web.public.track_reply import attached_files, latest_question
from portal.web.text_and_files import TOO_MANY_FILES, Page, SendRefused

ROLES = ("operator",)
PASSED_ON = _l("The resident's reply was passed on. The office's deadlines run again.")
NOT_WAITING = _l("The office is no longer waiting for a reply to this request.")
#: The audit row's detail: the move, passed on for the resident.
AUDIT_DETAIL = "needs_info>in_review:assisted"


@bp.route("/tickets/<reference>/reply", methods=["GET", "POST"])
@staff_required(*ROLES)
def reply(reference: str):
    return text_and_files.handle(_page(visible_ticket_or_404(reference)))


def _page(ticket: Ticket) -> Page:
    operator = Actor.staff(g.staff.id, "operator")

    def send(text, files, key):
        now = auth.now()
        try:
            sent = resident_reply.send_reply(
                ticket, text, files, operator, idempotency_key=key, now=now, keyring=keyring()
            )
        except InvalidTransition as refused:
            raise SendRefused(str(NOT_WAITING)) from refused
        except InvalidAnswers as refused:
            raise SendRefused(str(TOO_MANY_FILES), 400) from refused
        except NothingToSend as refused:
            raise SendRefused(str(_l("Write the reply or add a file")), 400) from refused
        if not sent.again:
            audit.record(
                "moved", staff_id=g.staff.id, ticket_id=ticket.id, detail=AUDIT_DETAIL, now=now
            )

    def done_url(key):
        flash(str(PASSED_ON))
        return url_for("office.ticket", reference=ticket.reference)

    def render(form, draft, remaining, http_status):
        return private_page(
            "office/reply.html",
            http_status,
            form=form,
            ticket=ticket,
            files=draft.files,
            remaining=remaining,
            question=latest_question(ticket),
            blocked=ticket.status != NEEDS_INFO,
            preview_url=None,
            **text_and_files.PAGE_HELPERS,
        )

    return Page(
        kind="reply",
        scope="office-",
        ticket=ticket,
        attached=attached_files(ticket),
        send=send,
        sent_before=lambda key: resident_reply.sent_event(ticket, key) is not None,
        done_url=done_url,
        render=render,
        refusal=lambda: None if ticket.status == NEEDS_INFO else str(NOT_WAITING),
        text_label=str(_l("The resident's reply")),
        text_hint=str(
            _l(
                "Write what the resident answers, in their words. For example: “The new "
                "family card was made in February; the photo of it is attached.”"
            )
        ),
        now=lambda: auth.now(),
    )


@section("office/ticket/_reply.html", slot="aside", order=25)
def reply_section(ticket: Ticket, staff, office) -> dict | None:
    """The link to pass on the reply, for the village's operator while the ticket waits."""
    if staff.role not in ROLES or ticket.status != NEEDS_INFO:
        return None
    return {"url": url_for("office.reply", reference=ticket.reference)}


# The request body -------------------------------------------------------------------------

PAGES = ("office.reply",)


def _too_large_page() -> Page | None:
    """The pass-on page of this body's ticket, if the logged-in operator may
    see it; the body was refused before the office's own checks ran."""
    if "staff" not in g:
        auth.load_staff()
    staff = g.staff
    if staff is None or staff.role not in ROLES:
        return None
    reference = (request.view_args or {}).get("reference", "").upper()
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
    if ticket is None or not can_see_ticket(staff, g.staff_office, ticket):
        return None
    return _page(ticket)


# Only for a logged-in staff member (the view checks the role).
large_bodies.raise_limit(bp, PAGES, lambda: bool(session.get(auth.SESSION_STAFF)))
large_bodies.keep_page_on_too_large(bp, PAGES, _too_large_page)
