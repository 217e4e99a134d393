"""The office's moves on a ticket: the buttons and links in the ticket page's
actions column, and one small page per move that needs text.

``GET /office/tickets/<reference>/move/<name>`` shows the move's form (a
question, a decision, an office to transfer to, the request it repeats);
``POST`` to the same address makes the move. A button-only move posts
straight from the ticket page. Every form carries the ticket's version:
a stale one gets the shared "changed since you opened it" answer. A move
the rules refuse shows this page again with the reason and what was typed.
Success goes back to the ticket page (303) with a message.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l

from forms.office_moves import (
    AskForm,
    DecideForm,
    DuplicateForm,
    MoveForm,
    OfficeSearchForm,
    TemplatePickForm,
    TransferForm,
)
from portal.regions.offices import search_offices
from portal.staff.permissions import can_see_ticket
from portal.tickets import decisions, duplicates, office_moves, replies, sla
from portal.tickets.models import Ticket
from portal.tickets.office_moves import OFFICE_MOVES, MoveInput, MoveRefused
from portal.tickets.workflow import Actor
from portal.web.office import auth, bp
from portal.web.office.auth import staff_required
from portal.web.office.tickets import expect_version, saving, section, visible_ticket_or_404

MOVE_ROLES = ("handler", "supervisor")
FORMS = {"ask": AskForm, "accept": DecideForm, "reject": DecideForm}
FORMS.update(transfer=TransferForm, duplicate=DuplicateForm)
#: The reply templates each text move starts from.
PURPOSES = {"ask": "needs_info", "accept": "accepted", "reject": "rejected"}
TEXT_FIELDS = {"ask": "question", "accept": "explanation", "reject": "explanation"}
DONE = {
    "triage": _l("You took on this request; it is assigned to you if it had no handler."),
    "resume": _l("The review is resumed and the deadlines run again."),
    "ask": _l("Your question was sent to the resident. The deadlines are paused."),
    "field-check": _l("A field check is started. Record the visit when it is done."),
    "verify": _l("The request is marked as verified."),
    "accept": _l("The request is accepted. The resident can see the explanation."),
    "reject": _l("The request is rejected. The resident can see the explanation."),
    "forward": _l("The request is forwarded for the data update."),
    "transfer": _l("The request is transferred to the other office."),
    "duplicate": _l("The request is marked as a duplicate."),
    "close": _l("The request is closed."),
}


def actor() -> Actor:
    return Actor.staff(g.staff.id, g.staff.role)


@section("office/ticket/_moves.html", slot="aside", order=20)
def moves_section(ticket: Ticket, staff, office) -> dict | None:
    """The moves this person may make now, and the duplicate links."""
    moves = office_moves.available(ticket, Actor.staff(staff.id, staff.role))
    survivor = duplicates.survivor_of(ticket)
    if survivor is not None and not can_see_ticket(staff, office, survivor):
        survivor = None
    dupes = [t for t in duplicates.duplicates_of(ticket) if can_see_ticket(staff, office, t)]
    if not moves and survivor is None and not dupes:
        return None
    return {
        "reference": ticket.reference,
        "version": ticket.version,
        "moves": moves,
        "duplicate_of": survivor,
        "duplicates": dupes,
    }


@bp.route("/tickets/<reference>/move/<name>", methods=["GET", "POST"])
@staff_required(*MOVE_ROLES)
def move(reference: str, name: str):
    if name not in OFFICE_MOVES:
        abort(404)
    ticket = visible_ticket_or_404(reference)
    form_class = FORMS.get(name, MoveForm)
    if request.method == "GET":
        if "version" in request.args:
            expect_version(ticket, request.args["version"])
        form = form_class(formdata=None, version=request.args.get("version", ticket.version))
        _prepare(form, name, ticket, fill_text=True)
        return _page(form, name, ticket)

    form = form_class()
    expect_version(ticket, form.version.data)
    _prepare(form, name, ticket, fill_text=False)
    if not form.validate():
        return _page(form, name, ticket, 400)
    try:
        with saving(ticket.reference):  # a concurrent move: StaleTicket
            office_moves.make(ticket, name, actor(), _input(form, name, ticket), now=auth.now())
    except MoveRefused as refused:
        form.form_errors.append(refused.message)
        return _page(form, name, ticket, 409)
    flash(str(DONE[name]))
    return redirect(url_for("office.ticket", reference=ticket.reference), 303)


def _input(form, name: str, ticket: Ticket) -> MoveInput:
    if name == "ask":
        return MoveInput(note=form.question.data)
    if name in ("accept", "reject"):
        return MoveInput(note=form.explanation.data, reasons=list(form.reasons.data))
    if name == "transfer":
        return MoveInput(note=form.reason.data, office_id=form.office.data)
    if name == "duplicate":
        survivor = duplicates.by_reference(form.reference.data)
        if survivor is not None and not can_see_ticket(g.staff, g.staff_office, survivor):
            survivor = None  # another office's ticket is not revealed
        return MoveInput(duplicate_of=survivor, duplicate_not_found=survivor is None)
    return MoveInput()


def _prepare(form, name: str, ticket: Ticket, *, fill_text: bool) -> None:
    """Choices from configuration and the database; on a first GET, the
    chosen template's text in the text box."""
    if name in ("accept", "reject"):
        outcome = OFFICE_MOVES[name].to_status
        form.reasons.choices = decisions.choices(current_app.config, outcome)
    if name == "transfer":
        query = request.values.get("q", "")
        found = search_offices(query, exclude=ticket.office_id) if query else []
        form.office.choices = [(o.id, f"{o.name} ({o.code})") for o in found]
    if name in PURPOSES and fill_text:
        chosen = _chosen_template(name, ticket)
        if chosen is not None:
            getattr(form, TEXT_FIELDS[name]).data = replies.render(
                chosen.body,
                reference=ticket.reference,
                due_date=_due_date(name, ticket),
                lang=chosen.lang,
            )


def _templates(name: str, ticket: Ticket):
    if name not in PURPOSES:
        return []
    return replies.effective(replies.office_of(ticket), PURPOSES[name])


def _chosen_template(name: str, ticket: Ticket):
    """The template asked for (``?template=<id>``), else the first in Indonesian."""
    rows = _templates(name, ticket)
    wanted = request.args.get("template", "")
    for row in rows:
        if str(row.id) == wanted:
            return row
    return rows[0] if rows and not wanted else None


def _due_date(name: str, ticket: Ticket):
    """``{due_date}``: the end of the appeal period for a decision; the
    decision's due date for a question."""
    if name in ("accept", "reject"):
        rules = sla.rules_from_config(current_app.config)
        return sla.appeal_deadline(sla.local_date(auth.now()), rules)
    return ticket.due_decision


def _page(form, name: str, ticket: Ticket, status: int = 200):
    move = OFFICE_MOVES[name]
    allowed = move in office_moves.available(ticket, actor())
    if not allowed and not form.form_errors:
        form.form_errors.append(office_moves.refusal("not_a_move", ticket).message)
        status = max(status, 409)
    templates = _templates(name, ticket)
    pick = TemplatePickForm(formdata=None, template=request.args.get("template", ""))
    pick.template.choices = [
        (str(t.id), f"{t.title} ({'Bahasa Indonesia' if t.lang == 'id' else 'English'})")
        for t in templates
    ]
    search = OfficeSearchForm(request.values) if name == "transfer" else None  # kept on a POST
    return make_response(
        render_template(
            "office/move.html",
            form=form,
            move=move,
            name=name,
            ticket=ticket,
            allowed=allowed,
            pick=pick if templates else None,
            search=search,
            version=form.version.data,
        ),
        status,
    )
