"""``/submit``: propose a household (usulan), object (sanggahan) or ask for a
data correction (perbaikan data), one question per page; then check and send
(``send.py``).

The journey's views are listed once (``channel.route``) and served by two
channels: here on the ``submit`` blueprint, and by ``portal.web.office.assist``
under ``/office/assist`` for a village operator submitting for a resident.
URLs are built for the request's channel (``question_url``, ``submit_url``).

Thin views over ``journey`` (which questions, the draft) and
``portal.tickets.service`` (``submit_ticket`` in one transaction). Works
with JavaScript off. Pages that show personal data, a PIN or a tracking link
are ``Cache-Control: no-store``.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    redirect,
    request,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forms.assist import AssistContactForm
from forms.submit import (
    ContactForm,
    ReasonsForm,
    SubjectForm,
    SubkindForm,
    VillageForm,
)
from portal import ratelimit
from portal.tickets.models import KINDS
from portal.web.pages import private_page
from portal.web.public import channel, journey
from portal.web.public.channel import route
from portal.web.public.journey import (
    Journey,
    next_url,
    question_url,
)
from portal.web.public.ticket_labels import (
    DETAILS_HINTS,
    EVIDENCE_ERRORS,
    EXPLAIN_REASONS,
    KIND_TITLES,
    REASONS,
    SUBKIND_LABELS,
)

bp = Blueprint("submit", __name__)

KIND = f"<any({', '.join(KINDS)}):kind>"
#: Every question after the first (the subkind, asked on the kind's own page).
ASKED = f"<any({', '.join(journey.QUESTIONS[1:])}):name>"
#: Photos whose location the resident may choose to keep (objections).
HOUSE_PHOTOS = ("house_front", "house_inside")
REGION_LEVELS = ("province", "regency", "district", "village")


def question_page(j: Journey, name: str, form, http_status: int | None = None, **context):
    status = http_status or (400 if form.errors or form.form_errors else 200)
    previous = j.previous_question(name)
    return private_page(
        f"public/submit/{name}.html",
        status,
        form=form,
        kind=j.kind,
        title=KIND_TITLES[j.kind],
        journey=j,
        back_url=question_url(j.kind, previous) if previous else channel.current().home_url(),
        **context,
    )


@bp.app_template_global()
def submit_url(name: str, **values) -> str:
    """A journey page's URL in this request's channel (``channel.submit_url``)."""
    return channel.submit_url(name, **values)


@bp.app_template_global()
def submit_channel() -> channel.Channel:
    return channel.current()


@bp.get("/submit")
def choose():
    return private_page("public/submit/choose.html")


@route(f"/{KIND}", methods=("GET", "POST"))
@ratelimit.posts_per_address("SUBMIT_PAGE_LIMIT_PER_IP")
def start(kind: str):
    return _ask(kind, "subkind")


@route(f"/{KIND}/{ASKED}", methods=("GET", "POST"))
@ratelimit.posts_per_address("SUBMIT_PAGE_LIMIT_PER_IP")
def question(kind: str, name: str):
    return _ask(kind, name)


def need_lookup(j: Journey):
    """A journey about the resident's own household needs the proof of a
    lookup; a held one (the check expired) says why it stopped, keeps its
    draft for a new lookup of the same household, and saves nothing posted
    (SECURITY.md LK7)."""
    return private_page(
        "public/submit/need_lookup.html",
        kind=j.kind,
        title=KIND_TITLES[j.kind],
        expired=j.held,
        minutes=current_app.config["LOOKUP_PROOF_MINUTES"],
    )


def _ask(kind: str, name: str):
    j = journey.load(kind)
    if j.held:
        return need_lookup(j)
    if not j.may_ask(name):
        return redirect(next_url(j))
    # As soon as the subject and the kind are known, not at the last step:
    # the resident learns before typing that the request is already there.
    if name != "subkind" and journey.check_duplicate(j) and not j.adding_to_existing:
        if request.method == "POST":
            # Sent meanwhile by someone else: keep what this page says (when
            # it validates), it can still be added to that request.
            QUESTIONS[name](j)
        return redirect(channel.current().url("already", kind=kind))
    return QUESTIONS[name](j)


def answered(j: Journey, name: str):
    j.mark_done(name)
    journey.save(j)
    return redirect(next_url(j))


# The questions -------------------------------------------------------------------------


def _ask_subkind(j: Journey):
    form = SubkindForm(data={"subkind": j.subkind or _suggested_subkind(j)})
    form.subkind.choices = list(SUBKIND_LABELS[j.kind].items())
    if not form.validate_on_submit():
        return question_page(j, "subkind", form)
    if form.subkind.data != j.subkind:
        j.answers["subkind"] = form.subkind.data
        j.answers.pop("add_to_existing", None)
        j.answers.pop("send_as_new", None)
        j.answers.pop("reason_codes", None)
        j.forget_done("reasons")
    if j.needs_registry_household() and j.household_id is None:
        journey.save(j)
        return need_lookup(j)
    return answered(j, "subkind")


def _suggested_subkind(j: Journey) -> str | None:
    """The choice a link made for the resident: "Propose this household" on
    their lookup result preselects their own household (while it is proven)."""
    wanted = request.args.get("subkind")
    if wanted in SUBKIND_LABELS[j.kind] and j.household_id is not None:
        return wanted
    return None


def _ask_subject(j: Journey):
    form = SubjectForm(data=j.answers)
    if not form.validate_on_submit():
        return question_page(j, "subject", form)
    j.answers["subject_name"] = form.subject_name.data
    j.answers["subject_address"] = form.subject_address.data
    return answered(j, "subject")


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
            return answered(j, "village")
        j.answers.pop("village_code", None)
        j.forget_done("village")
        journey.save(j)
        if not unanswered:
            return redirect(question_url(j.kind, "village"))
        path = chosen
        _region_choices(form, path)
        field = getattr(form, REGION_LEVELS[len(chosen)])
        field.errors = [str(REGION_ERRORS[field.name])]
        return question_page(j, "village", form, 400, levels=REGION_LEVELS[: len(path) + 1])
    _region_choices(form, path)
    return question_page(j, "village", form, levels=REGION_LEVELS[: len(path) + 1])


def _region_choices(form: VillageForm, path: list[str]) -> None:
    parents = [None, *path]
    for depth, level in enumerate(REGION_LEVELS):
        field = getattr(form, level)
        options = journey.child_regions(parents[depth]) if depth <= len(path) else []
        field.choices = [("", _("Select")), *options]
        field.data = path[depth] if depth < len(path) else ""


def _ask_reasons(j: Journey):
    choices = REASONS.get((j.kind, j.subkind), {})
    form = ReasonsForm(data=j.answers, details_required=not choices, explain_codes=EXPLAIN_REASONS)
    form.reason_codes.choices = list(choices.items())
    if not form.validate_on_submit():
        return question_page(j, "reasons", form, details_hint=DETAILS_HINTS.get(j.subkind))
    j.answers["reason_codes"] = list(form.reason_codes.data or [])
    j.answers["details"] = form.details.data or ""
    return answered(j, "reasons")


def _ask_evidence(j: Journey):
    return evidence_page.ask(j)  # uploads, their budgets and previews


def evidence_message(code: str) -> str:
    config = current_app.config
    return str(EVIDENCE_ERRORS[code]) % {
        "max_mb": config["MAX_FILE_BYTES"] // (1024 * 1024),
        "max_files": config["MAX_FILES_PER_TICKET"],
    }


def _ask_contact(j: Journey):
    """The resident's own phone or email; an operator types the resident's,
    never the village office's."""
    form_class = AssistContactForm if channel.current().assisted else ContactForm
    form = form_class(data={"contact": j.answers.get("reporter_contact")})
    if not form.validate_on_submit():
        return question_page(j, "contact", form)
    j.answers["reporter_contact"] = form.contact.data or None
    return answered(j, "contact")


def _ask_consent(j: Journey):
    return consent_page.ask(j)  # the resident's agreement, or the operator's record of it


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


# The check, send and confirmation pages are journey views too.
from portal.web.public import consent_page, evidence_page, send  # noqa: E402, F401

channel.register(bp, "/submit", channel.PUBLIC)
