"""``<channel>/<kind>/check`` and after: check the answers, send them (one
transaction), show the confirmation (``<channel>/sent``), or the request
already under review for the same household, to which the new files can be
added.

Journey views of both channels (``channel.py``; ``submit.py`` holds the
question pages). An operator's send (``/office/assist``) records who
assisted on the ticket and writes the ``assisted_submission`` audit row in
the same transaction (SECURITY.md LG3); it needs no captcha and spends the
operator's account's budget, not the village office's address's. Adding to
the request under review instead is ``adding.py``.
"""

from __future__ import annotations

import secrets

import segno
from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from forms.submit import CheckAnswersForm, ConfirmForm
from portal import captcha, ratelimit
from portal.audit.log import record
from portal.db import keyring, transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.tickets.confirmations import SentSecrets, forget_sent, recall_sent, remember_sent
from portal.tickets.drafts import claim_draft
from portal.tickets.models import Ticket
from portal.tickets.service import (
    InvalidAnswers,
    submit_ticket,
    ticket_by_idempotency_key,
)
from portal.web.pages import private_page
from portal.web.public import adding, channel, journey
from portal.web.public.channel import route
from portal.web.public.journey import Journey, next_url, question_url, url_for_tracking
from portal.web.public.limits import limit_page
from portal.web.public.submit import KIND, need_lookup
from portal.web.public.ticket_labels import (
    CONSENT_METHOD_LABELS,
    DOC_TYPE_LABELS,
    KIND_TITLES,
    REASONS,
    SUBKIND_LABELS,
    next_steps,
)


@route(f"/{KIND}/check", methods=("GET", "POST"))
@ratelimit.posts_per_address("SUBMIT_PAGE_LIMIT_PER_IP")
def check(kind: str):
    form = CheckAnswersForm()
    # Load the draft before looking for the key: a parallel send of the same
    # form that wins meanwhile has either left the draft or committed the key.
    j = journey.load(kind)
    if j.held:
        return need_lookup(j)
    if request.method == "POST" and form.validate_on_submit():
        already = ticket_by_idempotency_key(form.idempotency_key.data)
        if already is not None:
            return _already_sent(j, already.reference)
    duplicate = journey.check_duplicate(j)
    if duplicate is not None and not j.adding_to_existing:
        return redirect(channel.current().url("already", kind=kind))
    if j.next_question() is not None:
        return redirect(next_url(j))
    if j.needs_registry_household() and j.household_id is None:
        return need_lookup(j)
    if request.method == "POST" and not form.errors:
        refused = _send_refused(j, form)
        if refused is not None:
            return refused
        if duplicate is not None:
            return adding.add_to(duplicate, j)
        return _send(j, form.idempotency_key.data)
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(24)
    return check_page(j, form, _captcha_first())


def check_page(j: Journey, form: CheckAnswersForm, needs_captcha: bool):
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


def _captcha_first() -> bool:
    """Whether the check page shows the captcha before Send is pressed: the
    address has used its free sends (a peek; the send spends atomically).
    Never for an operator: they are logged in."""
    if channel.current().assisted or not captcha.captcha_enabled(current_app):
        return False
    return not ratelimit.free_send_left(ratelimit.address_key())


def _send_refused(j: Journey, form: CheckAnswersForm):
    """The send budget of the address (issue 9 §2): past its free sends the
    captcha, past ``SUBMIT_LIMIT_PER_IP`` a page saying how long to wait.
    The answers stay in the draft either way. ``None``: send. An operator
    has no captcha, and the same limit counts their account's sends."""
    ip = channel.limit_key()
    if captcha.captcha_enabled(current_app) and not channel.current().assisted:
        token = request.form.get("h-captcha-response")
        passed = (
            captcha.verify(token, ratelimit.client_ip()).ok
            if token
            else ratelimit.spend_free_send(ip)
        )
        if not passed:
            form.form_errors.append(
                _("Complete the security check, then press Send request again")
                if token
                else _(
                    "Many requests were sent from your network. Complete the security "
                    "check, then press Send request again"
                )
            )
            return check_page(j, form, True)
    wait = ratelimit.hit_or_wait(current_app.config["SUBMIT_LIMIT_PER_IP"], "submit-send", ip)
    if wait:
        return limit_page("public/submit/send_limit.html", wait, kind=j.kind)
    return None


def _summary(j: Journey) -> dict:
    village = j.village_code()
    reasons = REASONS.get((j.kind, j.subkind), {})
    consent_form = j.answers.get("consent_form")
    return {
        "consent_method": CONSENT_METHOD_LABELS.get(j.answers.get("consent_method", "")),
        "consent_form": consent_form.get("display_name") if consent_form else None,
        "subkind": SUBKIND_LABELS[j.kind][j.subkind],
        "from_lookup": j.subject_from_lookup(),
        "village": ", ".join(journey.region_path_names(village)),
        "reasons": [str(reasons.get(c, c)) for c in j.answers.get("reason_codes", [])],
        "files": [
            " · ".join(filter(None, (f.get("display_name"), str(DOC_TYPE_LABELS[f["doc_type"]]))))
            for f in j.answers.get("evidence", [])
        ],
    }


def _send(j: Journey, idempotency_key: str):
    """Send the draft; answers the service refuses (the journey's pages
    should have caught it: a file too many, the operator's village changed
    meanwhile) roll back and come back to the check page with the reason,
    the draft kept."""
    try:
        return _send_once(j, idempotency_key)
    except InvalidAnswers as exc:
        form = CheckAnswersForm(formdata=None, data={"idempotency_key": idempotency_key})
        form.form_errors.append(refusal_message(exc))
        return check_page(j, form, False)


def refusal_message(exc: InvalidAnswers) -> str:
    """What the check page says when the service refused the answers."""
    if exc.code == "too_many_files":
        most = current_app.config["MAX_FILES_PER_TICKET"]
        if not channel.current().assisted:
            return _("A request can hold %(max)d files. Remove a file, then send again", max=most)
        return _(
            "A request can hold %(max)d files, the photo of the signed consent form included. "
            "Remove a file, then send again",
            max=most,
        )
    if exc.code in ("not_own_village", "not_operator"):
        return _(
            "You can send requests only for households of your own village. Your account "
            "has changed since this request was started: start again from the beginning"
        )
    if exc.code == "consent_missing":
        return _("Record how the resident gave consent and who gave it, then send again")
    return _("This request could not be sent as it is. Check the answers, then send again")


def _send_once(j: Journey, idempotency_key: str):
    confirmation_id = j.draft_id or secrets.token_urlsafe(16)
    operator = channel.operator()
    with transaction():
        # Claim the draft first: a parallel click or tab sending it waits
        # here, then finds it gone (even with another idempotency key).
        result = None
        if claim_draft(j.draft_id):
            result = submit_ticket(
                j.ticket_answers(),
                idempotency_key=idempotency_key,
                keyring=keyring(),
                now=journey.now(),
                evidence=j.files_to_send(),
                draft_id=j.draft_id,
                staff_id=operator.id if operator is not None else None,
            )
        if result is not None and not result.already_submitted:
            if operator is not None:
                record(
                    "assisted_submission",
                    staff_id=operator.id,
                    ticket_id=result.ticket_id,
                    detail=j.kind,
                    now=journey.now(),
                )
            secrets_ = SentSecrets(result.ticket_id, result.pin, result.tracking_token)
            remember_sent(confirmation_id, secrets_, keyring=keyring(), now=journey.now())
    if result is None:
        return _sent_elsewhere(j, idempotency_key)
    if result.already_submitted:
        return _already_sent(j, result.reference)
    journey.mark_sent(j, confirmation_id)
    return redirect(channel.current().url("sent"), code=303)


def _sent_elsewhere(j: Journey, idempotency_key: str):
    """The draft was claimed by a parallel send of this session (a second
    click, another tab): show that send's confirmation."""
    already = ticket_by_idempotency_key(idempotency_key)
    if already is not None:
        return _already_sent(j, already.reference)
    if recall_sent(j.draft_id, keyring=keyring(), now=journey.now()) is not None:
        journey.mark_sent(j, j.draft_id)
        return redirect(channel.current().url("sent"), code=303)
    journey.forget(j)
    return redirect(channel.current().url("start", kind=j.kind))


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
            return redirect(channel.current().url("sent"), code=303)
    journey.forget(j)
    return private_page("public/submit/already_submitted.html", reference=reference)


@route("/sent", methods=("GET", "POST"))
@ratelimit.posts_per_address("SUBMIT_PAGE_LIMIT_PER_IP")
def sent():
    """Reference, PIN, tracking link and due dates of the request just sent.

    Shown to the session that sent it for ``SENT_PAGE_MINUTES``, so a reload
    or a language switch keeps the PIN on screen; the button hides it for
    good (a shared phone). An operator's button is "Next resident": it also
    ends their lookup and any journey they had started."""
    confirmation_id = journey.sent_confirmation_id()
    shown = recall_sent(confirmation_id, keyring=keyring(), now=journey.now())
    if shown is None:
        journey.clear_sent()
        return private_page("public/submit/sent_gone.html")
    form = ConfirmForm()
    here = channel.current()
    if form.validate_on_submit():
        with transaction():
            forget_sent(confirmation_id)
        journey.clear_sent()
        if here.assisted:
            journey.next_resident()
            flash(_("The PIN is hidden. You can help the next resident."))
            return redirect(here.home_url(), code=303)
        flash(_("The PIN is hidden. Follow your request with its link, or its number and PIN."))
        return redirect(url_for("public.home"), code=303)
    ticket = db.session.get(Ticket, shown.ticket_id)
    tracking_url = url_for_tracking(shown.tracking_token)
    receipt_url = (
        url_for("office.assist_receipt")
        if here.assisted
        else url_for("track.receipt", token=shown.tracking_token)
    )
    return private_page(
        "public/submit/confirmation.html",
        ticket=ticket,
        pin=shown.pin,
        token=shown.tracking_token,
        tracking_url=tracking_url,
        qr=segno.make(tracking_url, error="m").png_data_uri(scale=4, border=4),
        office=db.session.get(Office, ticket.office_id),
        visit_text=next_steps(ticket.subkind)[0],
        minutes=current_app.config["SENT_PAGE_MINUTES"],
        form=form,
        receipt_url=receipt_url,
    )
