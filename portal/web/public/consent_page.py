"""The consent question (``<channel>/<kind>/consent``), the last before checking.

* A resident agrees to the use of their data (UU PDP 27/2022): one checkbox.
* An operator submitting for a resident records the resident's consent
  instead: a required checkbox stating that the named person gave it to
  them, how (``models.CONSENT_METHODS``: a signed form, or in person
  verbally), the name of who gave it (encrypted on the ticket,
  ``consent_by_enc``) and an optional photo of the signed form, through
  the same upload checks as the evidence (an ``Evidence`` row of type
  ``consent_form`` once sent; never a type the resident can choose).

A refused photo is said on the same page with everything typed kept.
"""

from __future__ import annotations

from forms.assist import AssistConsentForm
from forms.submit import ConsentForm
from portal.tickets import evidence
from portal.web.public import (
    channel,
    evidence_page,  # (module: submit.py ↔ evidence_page.py)
)
from portal.web.public.journey import CONSENT_VERSION, Journey
from portal.web.public.submit import answered, evidence_message, question_page
from portal.web.public.ticket_labels import CONSENT_METHOD_LABELS


def ask(j: Journey):
    if channel.current().assisted:
        return _ask_assisted(j)
    form = ConsentForm(data={"consent": bool(j.answers.get("consent_version"))})
    if not form.validate_on_submit():
        return question_page(j, "consent", form)
    j.answers["consent_version"] = CONSENT_VERSION
    return answered(j, "consent")


def _ask_assisted(j: Journey):
    answers = j.answers
    form = AssistConsentForm(
        data={
            "consent": bool(answers.get("consent_version")),
            "consent_method": answers.get("consent_method"),
            "consent_by": answers.get("consent_by"),
        }
    )
    form.consent_method.choices = list(CONSENT_METHOD_LABELS.items())
    if not form.validate_on_submit():
        return _page(j, form)
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        try:
            stored = evidence_page.receive_upload(
                upload,
                "consent_form",
                keep_gps=False,
                # Every file to be sent but the photo this one replaces.
                files=answers.get("evidence", []),
            )
        except evidence.EvidenceError as exc:
            code = exc.code
            return _refused(
                j,
                form,
                evidence_page.quota_message(code)
                if code in evidence_page.QUOTA_ERRORS
                else evidence_message(code),
            )
        except evidence_page.Refused as exc:
            return _refused(j, form, exc.message)
        old = answers.get("consent_form")
        answers["consent_form"] = stored
        if old:
            evidence.delete_stored(old["stored_name"])
    answers["consent_version"] = CONSENT_VERSION
    answers["consent_method"] = form.consent_method.data
    answers["consent_by"] = form.consent_by.data
    return answered(j, "consent")


def _refused(j: Journey, form: AssistConsentForm, message: str):
    form.file.errors = [message]
    return _page(j, form, 400)


def _page(j: Journey, form: AssistConsentForm, http_status: int | None = None):
    return question_page(
        j, "consent", form, http_status, consent_photo=j.answers.get("consent_form")
    )
