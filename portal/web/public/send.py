"""``/submit/<kind>/check`` and after: check the answers, send them (one
transaction), show the confirmation (``/submit/sent``), or the request already
under review for the same household, to which the new files can be added.

Routes of the ``submit`` blueprint (``submit.py`` holds the question pages).
"""

from __future__ import annotations

import secrets

import segno
from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from forms.submit import CheckAnswersForm, ConfirmForm
from portal import captcha, ratelimit
from portal.db import keyring, transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.tickets.confirmations import SentSecrets, forget_sent, recall_sent, remember_sent
from portal.tickets.models import Evidence, Ticket
from portal.tickets.service import (
    InvalidAnswers,
    add_evidence,
    find_open_duplicate,
    submit_ticket,
    ticket_by_idempotency_key,
)
from portal.tickets.workflow import Actor, public_label
from portal.web.pages import private_page
from portal.web.public import journey
from portal.web.public.journey import Journey, next_url, question_url, url_for_tracking
from portal.web.public.limits import limit_page
from portal.web.public.submit import KIND, bp
from portal.web.public.ticket_labels import DOC_TYPE_LABELS, KIND_TITLES, REASONS, SUBKIND_LABELS


@bp.route(f"/submit/{KIND}/check", methods=["GET", "POST"])
@ratelimit.posts_per_address("SUBMIT_PAGE_LIMIT_PER_IP")
def check(kind: str):
    form = CheckAnswersForm()
    # Load the draft before looking for the key: a parallel send of the same
    # form that wins meanwhile has either left the draft or committed the key.
    j = journey.load(kind)
    if request.method == "POST" and form.validate_on_submit():
        already = ticket_by_idempotency_key(form.idempotency_key.data)
        if already is not None:
            return _already_sent(j, already.reference)
    if j.next_question() is not None:
        return redirect(next_url(j))
    if j.needs_registry_household() and j.household_id is None:
        return private_page("public/submit/need_lookup.html", kind=kind, title=KIND_TITLES[kind])
    if request.method == "POST" and not form.errors:
        refused = _send_refused(j, form)
        return refused if refused is not None else _send(j, form.idempotency_key.data)
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(24)
    return _check_page(j, form, _captcha_first(ratelimit.client_ip()))


def _check_page(j: Journey, form: CheckAnswersForm, needs_captcha: bool):
    g.captcha_on_page = needs_captcha
    return private_page(
        "public/submit/check.html",
        400 if form.errors or form.form_errors else 200,
        form=form,
        kind=j.kind,
        title=KIND_TITLES[j.kind],
        journey=j,
        summary=_summary(j),
        question_url=question_url,
        captcha=needs_captcha,
    )


def _captcha_first(ip: str) -> bool:
    """Whether the check page shows the captcha before Send is pressed: the
    address has used its free sends (a peek; the send spends atomically)."""
    return captcha.captcha_enabled(current_app) and not ratelimit.free_send_left(ip)


def _send_refused(j: Journey, form: CheckAnswersForm):
    """The send budget of the address (issue 9 §2): past its free sends the
    captcha, past ``SUBMIT_LIMIT_PER_IP`` a page saying how long to wait.
    The answers stay in the draft either way. ``None``: send."""
    ip = ratelimit.client_ip()
    if captcha.captcha_enabled(current_app):
        token = request.form.get("h-captcha-response")
        passed = captcha.verify(token, ip).ok if token else ratelimit.spend_free_send(ip)
        if not passed:
            form.form_errors.append(
                _("Complete the security check, then press Send request again")
                if token
                else _(
                    "Many requests were sent from your network. Complete the security "
                    "check, then press Send request again"
                )
            )
            return _check_page(j, form, True)
    wait = ratelimit.hit_or_wait(current_app.config["SUBMIT_LIMIT_PER_IP"], "submit-send", ip)
    if wait:
        return limit_page("public/submit/send_limit.html", wait, kind=j.kind)
    return None


def _summary(j: Journey) -> dict:
    village = j.village_code()
    reasons = REASONS.get((j.kind, j.subkind), {})
    return {
        "subkind": SUBKIND_LABELS[j.kind][j.subkind],
        "from_lookup": j.subject_from_lookup(),
        "village": ", ".join(journey.region_path_names(village)),
        "reasons": [str(reasons.get(c, c)) for c in j.answers.get("reason_codes", [])],
        "files": [
            " · ".join(filter(None, (f.get("display_name"), str(DOC_TYPE_LABELS[f["doc_type"]]))))
            for f in j.answers.get("evidence", [])
        ],
    }


def _duplicate_of(j: Journey) -> Ticket | None:
    """An open request of the same kind for the household this session proved
    it knows (NIK and name, through the lookup).

    Only then: the "already under review" page shows the request's status and
    lets the resident add files, which must not be open to anyone who merely
    types a name and a village (that would reveal, for example, that a
    confidential objection exists). Requests about a described household are
    always sent; the office marks duplicates in the workflow."""
    if not j.subject_from_lookup():
        return None
    subkind = j.subkind if j.kind == "correction" else None
    return find_open_duplicate(j.kind, household_id=j.household_id, subkind=subkind)


def _send(j: Journey, idempotency_key: str):
    confirmation_id = j.draft_id or secrets.token_urlsafe(16)
    with transaction():
        duplicate = _duplicate_of(j)
        if duplicate is not None and duplicate.idempotency_key == idempotency_key:
            duplicate = None  # this very form, sent twice: submit_ticket says so
        if duplicate is None:
            result = submit_ticket(
                j.ticket_answers(),
                idempotency_key=idempotency_key,
                keyring=keyring(),
                now=journey.now(),
                evidence=j.evidence(),
                draft_id=j.draft_id,
            )
            if not result.already_submitted:
                secrets_ = SentSecrets(result.ticket_id, result.pin, result.tracking_token)
                remember_sent(confirmation_id, secrets_, keyring=keyring(), now=journey.now())
    if duplicate is not None:
        return private_page(
            "public/submit/duplicate.html",
            kind=j.kind,
            status_label=public_label(duplicate.status),
            submitted_at=duplicate.created_at,
            files=j.answers.get("evidence", []),
            form=ConfirmForm(),
        )
    if result.already_submitted:
        return _already_sent(j, result.reference)
    journey.mark_sent(j, confirmation_id)
    return redirect(url_for("submit.sent"), code=303)


def _already_sent(j: Journey, reference: str):
    """The same form sent again (a double click, a reload of the POST): the
    confirmation once more if this session sent it and its window is open,
    else only the reference."""
    # Racing the first send, this session still names the draft; after it,
    # the confirmation. Either names the confirmation row.
    for confirmation_id in (journey.session_draft_id(j.kind), journey.sent_confirmation_id()):
        shown = recall_sent(confirmation_id, keyring=keyring(), now=journey.now())
        if shown is not None and db.session.get(Ticket, shown.ticket_id).reference == reference:
            journey.mark_sent(j, confirmation_id)
            return redirect(url_for("submit.sent"), code=303)
    journey.forget(j)
    return private_page("public/submit/already_submitted.html", reference=reference)


@bp.route("/submit/sent", methods=["GET", "POST"])
@ratelimit.posts_per_address("SUBMIT_PAGE_LIMIT_PER_IP")
def sent():
    """Reference, PIN, tracking link and due dates of the request just sent.

    Shown to the session that sent it for ``SENT_PAGE_MINUTES``, so a reload
    or a language switch keeps the PIN on screen; the button hides it for
    good (a shared phone)."""
    confirmation_id = journey.sent_confirmation_id()
    shown = recall_sent(confirmation_id, keyring=keyring(), now=journey.now())
    if shown is None:
        journey.clear_sent()
        return private_page("public/submit/sent_gone.html")
    form = ConfirmForm()
    if form.validate_on_submit():
        with transaction():
            forget_sent(confirmation_id)
        journey.clear_sent()
        flash(_("The PIN is hidden. Follow your request with its link, or its number and PIN."))
        return redirect(url_for("public.home"), code=303)
    ticket = db.session.get(Ticket, shown.ticket_id)
    tracking_url = url_for_tracking(shown.tracking_token)
    return private_page(
        "public/submit/confirmation.html",
        ticket=ticket,
        pin=shown.pin,
        token=shown.tracking_token,
        tracking_url=tracking_url,
        qr=segno.make(tracking_url, error="m").png_data_uri(scale=4, border=4),
        office=db.session.get(Office, ticket.office_id),
        minutes=current_app.config["SENT_PAGE_MINUTES"],
        form=form,
    )


@bp.post(f"/submit/{KIND}/add-to-existing")
@ratelimit.posts_per_address("SUBMIT_PAGE_LIMIT_PER_IP")
def add_to_existing(kind: str):
    """The resident found their request already under review: attach the new files to it."""
    j = journey.load(kind)
    files = j.evidence()
    if j.next_question() is not None or not files:
        return redirect(next_url(j))
    with transaction():
        duplicate = _duplicate_of(j)
        names = [f.stored_name for f in files]
        already = db.session.scalar(
            select(func.count()).select_from(Evidence).where(Evidence.stored_name.in_(names))
        )
        if duplicate is not None and not already:
            try:
                add_evidence(duplicate, files, Actor.resident(), now=journey.now())
            except InvalidAnswers:
                return private_page("public/submit/duplicate_full.html", http_status=409)
    if duplicate is None:
        return redirect(question_url(kind, None))
    journey.forget(j, discard=True)
    return private_page("public/submit/evidence_added.html", count=len(files))
