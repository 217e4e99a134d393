"""The household's request of the same kind already under review
(``<channel>/<kind>/already``): say so, and add the checked answers to it
instead of sending a new request (or send them as new when it is full).

Journey views of both channels (``channel.py``), called from the check page
(``send.py``). An operator's addition keeps the resident's consent: the
photo of the signed form among the files, how and by whom in an internal
``assisted_addition`` event, and an audit row (SECURITY.md LG3).
"""

from __future__ import annotations

import secrets

from flask import redirect
from flask_babel import gettext as _

from forms.submit import CheckAnswersForm, ConfirmForm
from portal import ratelimit
from portal.audit.log import record
from portal.db import keyring, transaction
from portal.tickets import assisted
from portal.tickets.drafts import claim_draft
from portal.tickets.models import Ticket
from portal.tickets.service import InvalidAnswers, add_resident_addition
from portal.tickets.workflow import public_label
from portal.web.pages import private_page
from portal.web.public import channel, journey, send
from portal.web.public.channel import route
from portal.web.public.journey import Journey, next_url
from portal.web.public.submit import KIND
from portal.web.public.ticket_labels import CONSENT_METHOD_LABELS, KIND_TITLES, REASONS


@route(f"/{KIND}/already")
def already(kind: str):
    """The household's request of this kind is already under review: say so
    (its status and date only, nothing it says) before the resident types
    more, keep the draft, and offer to add to that request instead."""
    j = journey.load(kind)
    duplicate = journey.check_duplicate(j)
    if duplicate is None or j.adding_to_existing:
        return redirect(next_url(j))
    return private_page(
        "public/submit/duplicate.html",
        kind=kind,
        title=KIND_TITLES[kind],
        status_label=public_label(duplicate.status),
        submitted_at=duplicate.created_at,
        form=ConfirmForm(),
    )


@route(f"/{KIND}/add-to-existing", methods=("POST",))
@ratelimit.posts_per_address("SUBMIT_PAGE_LIMIT_PER_IP")
def add_to_existing(kind: str):
    """The resident chose to add their answers to the request under review:
    the journey goes on without the contact question, and ends by adding."""
    j = journey.load(kind)
    if ConfirmForm().validate_on_submit() and journey.check_duplicate(j) is not None:
        j.answers["add_to_existing"] = True
        journey.save(j)
    return redirect(next_url(j))


@route(f"/{KIND}/send-as-new", methods=("POST",))
@ratelimit.posts_per_address("SUBMIT_PAGE_LIMIT_PER_IP")
def send_as_new(kind: str):
    """The request under review could not take the answers (full): send
    them as a new request instead (the contact question comes back)."""
    j = journey.load(kind)
    if ConfirmForm().validate_on_submit() and j.adding_to_existing and not j.held:
        j.answers.pop("add_to_existing", None)
        j.answers["send_as_new"] = True
        journey.save(j)
    return redirect(next_url(j))


def add_to(duplicate: Ticket, j: Journey):
    """Add the checked answers to the request under review: the text as a
    public message from the household, the files as its evidence. An
    operator's addition keeps the resident's consent: the photo of the signed
    form among the files (type ``consent_form``), how and by whom in an
    internal ``assisted_addition`` event (``assisted.record_addition``)."""
    files = j.files_to_send()
    operator = channel.operator()
    try:
        with transaction():
            # Claimed first: a parallel click finds the draft gone and adds nothing.
            if claim_draft(j.draft_id):
                add_resident_addition(
                    duplicate, _addition_note(j), files, now=journey.now(), keyring=keyring()
                )
                if operator is not None:
                    assisted.record_addition(
                        duplicate,
                        operator.id,
                        j.answers.get("consent_method"),
                        j.answers.get("consent_by"),
                        files,
                        note=_consent_note(j),
                        now=journey.now(),
                        keyring=keyring(),
                    )
                    record(
                        "assisted_addition",
                        staff_id=operator.id,
                        ticket_id=duplicate.id,
                        detail=j.kind,
                        now=journey.now(),
                    )
    except InvalidAnswers as exc:  # rolled back: the draft is kept
        if exc.code is not None and exc.code != "too_many_files":
            form = CheckAnswersForm(
                formdata=None, data={"idempotency_key": secrets.token_urlsafe(24)}
            )
            form.form_errors.append(send.refusal_message(exc))
            return send.check_page(j, form, False)
        if journey.check_duplicate(j) is None:
            # Decided meanwhile: told so, and the answers go on as a new request.
            return redirect(next_url(j))
        return private_page(
            "public/submit/duplicate_full.html",
            http_status=409,
            kind=j.kind,
            title=KIND_TITLES[j.kind],
            form=ConfirmForm(),
        )
    journey.forget(j, discard=True)
    return private_page("public/submit/evidence_added.html", count=len(files))


def _consent_note(j: Journey) -> str:
    """The operator's record of the consent to an addition, in their words."""
    method = CONSENT_METHOD_LABELS.get(j.answers.get("consent_method", ""), "")
    return _(
        "Consent to this addition: %(method)s. Given by %(name)s",
        method=str(method),
        name=j.answers.get("consent_by", ""),
    )


def _addition_note(j: Journey) -> str:
    """The reasons (in the resident's language) and the free text, as one message."""
    reasons = REASONS.get((j.kind, j.subkind), {})
    labels = [str(reasons.get(c, c)) for c in j.answers.get("reason_codes", [])]
    parts = [_("Reasons: %(reasons)s", reasons="; ".join(labels))] if labels else []
    if j.answers.get("details"):
        parts.append(j.answers["details"])
    return "\n\n".join(parts)
