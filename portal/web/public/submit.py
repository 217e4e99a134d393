"""``/submit``: propose a household (usulan), object (sanggahan) or ask for a
data correction (perbaikan data), one question per page, then check and send.

Thin views over ``journey`` (which questions, the draft) and
``portal.tickets.service`` (``submit_ticket`` in one transaction). Works
with JavaScript off. Pages that show personal data, a PIN or a tracking link
are ``Cache-Control: no-store``.
"""

from __future__ import annotations

import secrets

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from forms.submit import (
    CheckAnswersForm,
    ConfirmForm,
    ConsentForm,
    ContactForm,
    EvidenceForm,
    ReasonsForm,
    SubjectForm,
    SubkindForm,
    VillageForm,
)
from portal import ratelimit
from portal.db import keyring, transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.tickets import evidence
from portal.tickets.confirmations import SentSecrets, forget_sent, recall_sent, remember_sent
from portal.tickets.models import Evidence, Ticket
from portal.tickets.service import (
    InvalidAnswers,
    add_evidence,
    find_open_duplicate,
    submit_ticket,
)
from portal.tickets.workflow import Actor, public_label
from portal.web.public import journey
from portal.web.public.journey import (
    CONSENT_VERSION,
    Journey,
    next_url,
    question_url,
    url_for_tracking,
)
from portal.web.public.ticket_labels import (
    DETAILS_HINTS,
    DOC_TYPE_LABELS,
    EVIDENCE_ERRORS,
    KIND_TITLES,
    REASONS,
    SUBKIND_LABELS,
)

bp = Blueprint("submit", __name__)

KIND = "<any(proposal, objection, correction):kind>"
ASKED = "<any(subject, village, reasons, evidence, contact, consent):name>"
#: Photos whose location the resident may choose to keep (objections).
HOUSE_PHOTOS = ("house_front", "house_inside")
REGION_LEVELS = ("province", "regency", "district", "village")


def _page(template: str, http_status: int = 200, **context):
    response = make_response(render_template(template, **context), http_status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _question_page(j: Journey, name: str, form, http_status: int | None = None, **context):
    status = http_status or (400 if form.errors or form.form_errors else 200)
    previous = j.previous_question(name)
    return _page(
        f"public/submit/{name}.html",
        status,
        form=form,
        kind=j.kind,
        title=KIND_TITLES[j.kind],
        journey=j,
        back_url=question_url(j.kind, previous) if previous else "/submit",
        **context,
    )


@bp.get("/submit")
def choose():
    return _page("public/submit/choose.html")


@bp.route(f"/submit/{KIND}", methods=["GET", "POST"])
@ratelimit.posts_per_address("SUBMIT_LIMIT_PER_IP")
def start(kind: str):
    return _ask(kind, "subkind")


@bp.route(f"/submit/{KIND}/{ASKED}", methods=["GET", "POST"])
@ratelimit.posts_per_address("SUBMIT_LIMIT_PER_IP")
def question(kind: str, name: str):
    return _ask(kind, name)


def _ask(kind: str, name: str):
    j = journey.load(kind)
    if not j.may_ask(name):
        return redirect(next_url(j))
    return QUESTIONS[name](j)


def _answered(j: Journey, name: str):
    j.mark_done(name)
    journey.save(j)
    return redirect(next_url(j))


# The questions -------------------------------------------------------------------------


def _ask_subkind(j: Journey):
    form = SubkindForm(data={"subkind": j.subkind})
    form.subkind.choices = list(SUBKIND_LABELS[j.kind].items())
    if not form.validate_on_submit():
        return _question_page(j, "subkind", form)
    if form.subkind.data != j.subkind:
        j.answers["subkind"] = form.subkind.data
        j.answers.pop("reason_codes", None)
        j.forget_done("reasons")
    if j.needs_registry_household() and j.household_id is None:
        journey.save(j)
        return _page("public/submit/need_lookup.html", kind=j.kind, title=KIND_TITLES[j.kind])
    return _answered(j, "subkind")


def _ask_subject(j: Journey):
    form = SubjectForm(data=j.answers)
    if not form.validate_on_submit():
        return _question_page(j, "subject", form)
    j.answers["subject_name"] = form.subject_name.data
    j.answers["subject_address"] = form.subject_address.data
    return _answered(j, "subject")


def _ask_village(j: Journey):
    """One list at a time: each POST keeps the valid choices and shows the next list."""
    path = list(j.answers.get("region_path", []))
    form = VillageForm()
    if form.validate_on_submit():
        chosen, parent = [], None
        for level in REGION_LEVELS:
            code = getattr(form, level).data
            if not code or code not in dict(journey.child_regions(parent)):
                break
            chosen.append(code)
            parent = code
        shown = min(len(path) + 1, len(REGION_LEVELS))
        unanswered = len(chosen) < shown and chosen == path[: len(chosen)]
        j.answers["region_path"] = chosen
        if len(chosen) == len(REGION_LEVELS):
            j.answers["village_code"] = chosen[-1]
            return _answered(j, "village")
        j.answers.pop("village_code", None)
        j.forget_done("village")
        journey.save(j)
        if not unanswered:
            return redirect(question_url(j.kind, "village"))
        path = chosen
        _region_choices(form, path)
        field = getattr(form, REGION_LEVELS[len(chosen)])
        field.errors = [str(REGION_ERRORS[field.name])]
        return _question_page(j, "village", form, 400, levels=REGION_LEVELS[: len(path) + 1])
    _region_choices(form, path)
    return _question_page(j, "village", form, levels=REGION_LEVELS[: len(path) + 1])


def _region_choices(form: VillageForm, path: list[str]) -> None:
    parents = [None, *path]
    for depth, level in enumerate(REGION_LEVELS):
        field = getattr(form, level)
        options = journey.child_regions(parents[depth]) if depth <= len(path) else []
        field.choices = [("", _("Select")), *options]
        field.data = path[depth] if depth < len(path) else ""


def _ask_reasons(j: Journey):
    choices = REASONS.get((j.kind, j.subkind), {})
    form = ReasonsForm(data=j.answers, details_required=not choices)
    form.reason_codes.choices = list(choices.items())
    if not form.validate_on_submit():
        return _question_page(j, "reasons", form, details_hint=DETAILS_HINTS.get(j.subkind))
    j.answers["reason_codes"] = list(form.reason_codes.data or [])
    j.answers["details"] = form.details.data or ""
    return _answered(j, "reasons")


def _ask_evidence(j: Journey):
    files = j.answers.setdefault("evidence", [])
    max_files = current_app.config["MAX_FILES_PER_TICKET"]
    form = EvidenceForm()
    form.doc_type.choices = list(DOC_TYPE_LABELS.items())
    action = request.form.get("action") if request.method == "POST" else None
    if action == "continue":
        return _answered(j, "evidence")
    if action == "remove":
        index = request.form.get("index", type=int)
        if index is not None and 0 <= index < len(files):
            evidence.delete_stored(files.pop(index)["stored_name"])
            journey.save(j)
        return redirect(question_url(j.kind, "evidence"))
    context = {"files": files, "max_files": max_files, "doc_labels": DOC_TYPE_LABELS}
    if action != "upload" or not form.validate_on_submit():
        return _question_page(j, "evidence", form, **context)
    upload = form.file.data
    keep_gps = bool(form.keep_gps.data) and j.kind == "objection"
    try:
        evidence.check_file_count(len(files))
        processed = evidence.process_upload(
            upload.filename or "",
            upload.read(),
            doc_type=form.doc_type.data,
            keep_gps=keep_gps and form.doc_type.data in HOUSE_PHOTOS,
        )
        stored = evidence.store(processed)
    except evidence.EvidenceError as exc:
        form.file.errors = [_evidence_message(exc.code)]
        return _question_page(j, "evidence", form, 400, **context)
    files.append(journey.stored_descriptor(stored))
    journey.save(j)
    return redirect(question_url(j.kind, "evidence"))


def _evidence_message(code: str) -> str:
    config = current_app.config
    return str(EVIDENCE_ERRORS[code]) % {
        "max_mb": config["MAX_FILE_BYTES"] // (1024 * 1024),
        "max_files": config["MAX_FILES_PER_TICKET"],
    }


def _ask_contact(j: Journey):
    form = ContactForm(data={"contact": j.answers.get("reporter_contact")})
    if not form.validate_on_submit():
        return _question_page(j, "contact", form)
    j.answers["reporter_contact"] = form.contact.data or None
    return _answered(j, "contact")


def _ask_consent(j: Journey):
    form = ConsentForm(data={"consent": bool(j.answers.get("consent_version"))})
    if not form.validate_on_submit():
        return _question_page(j, "consent", form)
    j.answers["consent_version"] = CONSENT_VERSION
    return _answered(j, "consent")


QUESTIONS = {
    "subkind": _ask_subkind,
    "subject": _ask_subject,
    "village": _ask_village,
    "reasons": _ask_reasons,
    "evidence": _ask_evidence,
    "contact": _ask_contact,
    "consent": _ask_consent,
}

REGION_ERRORS = {
    "province": _l("Select the province"),
    "regency": _l("Select the regency or city"),
    "district": _l("Select the district (kecamatan)"),
    "village": _l("Select the village (desa/kelurahan)"),
}


# Check, send, confirm ----------------------------------------------------------------


@bp.route(f"/submit/{KIND}/check", methods=["GET", "POST"])
@ratelimit.posts_per_address("SUBMIT_LIMIT_PER_IP")
def check(kind: str):
    form = CheckAnswersForm()
    # Load the draft before looking for the key: a parallel send of the same
    # form that wins meanwhile has either left the draft or committed the key.
    j = journey.load(kind)
    if request.method == "POST" and form.validate_on_submit():
        already = _reference_by_idempotency_key(form.idempotency_key.data)
        if already is not None:
            return _already_sent(j, already)
    if j.next_question() is not None:
        return redirect(next_url(j))
    if j.needs_registry_household() and j.household_id is None:
        return _page("public/submit/need_lookup.html", kind=kind, title=KIND_TITLES[kind])
    if request.method == "POST" and not form.errors:
        return _send(j, form.idempotency_key.data)
    if request.method == "GET":
        form.idempotency_key.data = secrets.token_urlsafe(24)
    return _page(
        "public/submit/check.html",
        400 if form.errors else 200,
        form=form,
        kind=kind,
        title=KIND_TITLES[kind],
        journey=j,
        summary=_summary(j),
        question_url=question_url,
    )


def _summary(j: Journey) -> dict:
    village = j.village_code()
    reasons = REASONS.get((j.kind, j.subkind), {})
    return {
        "subkind": SUBKIND_LABELS[j.kind][j.subkind],
        "from_lookup": j.subject_from_lookup(),
        "village": ", ".join(journey.region_path_names(village)),
        "reasons": [str(reasons.get(c, c)) for c in j.answers.get("reason_codes", [])],
        "files": [str(DOC_TYPE_LABELS[f["doc_type"]]) for f in j.answers.get("evidence", [])],
    }


def _reference_by_idempotency_key(key: str) -> str | None:
    return db.session.scalar(select(Ticket.reference).where(Ticket.idempotency_key == key))


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
        return _page(
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
    return _page("public/submit/already_submitted.html", reference=reference)


@bp.route("/submit/sent", methods=["GET", "POST"])
def sent():
    """Reference, PIN, tracking link and due dates of the request just sent.

    Shown to the session that sent it for ``SENT_PAGE_MINUTES``, so a reload
    or a language switch keeps the PIN on screen; the button hides it for
    good (a shared phone)."""
    confirmation_id = journey.sent_confirmation_id()
    shown = recall_sent(confirmation_id, keyring=keyring(), now=journey.now())
    if shown is None:
        journey.clear_sent()
        return _page("public/submit/sent_gone.html")
    form = ConfirmForm()
    if form.validate_on_submit():
        with transaction():
            forget_sent(confirmation_id)
        journey.clear_sent()
        flash(_("The PIN is hidden. Follow your request with its link, or its number and PIN."))
        return redirect(url_for("public.home"), code=303)
    ticket = db.session.get(Ticket, shown.ticket_id)
    tracking_url = url_for_tracking(shown.tracking_token)
    return _page(
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
@ratelimit.posts_per_address("SUBMIT_LIMIT_PER_IP")
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
                return _page("public/submit/duplicate_full.html", http_status=409)
    if duplicate is None:
        return redirect(question_url(kind, None))
    journey.forget(j, discard=True)
    return _page("public/submit/evidence_added.html", count=len(files))
