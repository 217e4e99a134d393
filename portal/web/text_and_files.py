"""The text-and-files page: a text box, a file upload with its document type,
the files added with a remove button each, and a send button, in one form.

Three pages use it: the resident's reply to the office's question and their
appeal (``portal.web.public.track_reply``), and the reply a village operator
passes on (``portal.web.office.reply``). A ``Page`` says what differs: the
words, the ticket, what "send" does, where the sent page is.

What it keeps (issue 11 §2):

* every press (upload, remove, send, a refused file, an error) saves the
  text typed and the files added to a server-side draft (``drafts``,
  ``Draft.kind`` "reply" or "appeal", encrypted); its id is in the session
  per ticket, so leaving and coming back shows them again;
* a file chosen is uploaded before anything else the press asks for, through
  the submission's checks and budgets (``evidence_page.receive_upload``),
  against the files the ticket already holds: never dropped silently;
* "send" carries the page's idempotency key: a second send with the same
  key (a double click, a reload) shows the first send's page, never a
  second move; the draft is claimed (deleted) first in the send's transaction;
* a photo the quality check flags (``evidence_quality``) is kept in the
  draft with its warning and a "keep it anyway" button beside "remove";
  "send" while one is undecided sends nothing and asks for the choice;
* a send that loses a race (another tab or browser changed the ticket first,
  or the key is already on another event) sends nothing and keeps
  everything: the draft is saved and the page shows why (409).

The draft's storage (session slot, ``drafts`` row, claim) is
``portal.web.text_drafts``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, current_app, redirect, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from forms.reply import TextAndFilesForm
from portal.db import transaction
from portal.extensions import db
from portal.tickets import evidence
from portal.tickets.evidence import StoredFile
from portal.web.public import evidence_quality
from portal.web.public.evidence_page import (
    PREVIEW_FORMAT,
    QUOTA_ERRORS,
    Refused,
    preview_response,
    quota_message,
    receive_upload,
    size_text,
)
from portal.web.public.ticket_labels import DOC_TYPE_LABELS, EVIDENCE_ERRORS
from portal.web.text_drafts import TextDraft, claim, forget, load, save

#: A send refused by the ticket's file limit (``service.InvalidAnswers``).
TOO_MANY_FILES = _l("The request already has the most files allowed. Remove a file to send.")


class SendRefused(Exception):
    """The send cannot be made; ``message`` is translated for the page."""

    def __init__(self, message: str, http_status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status


@dataclass
class Page:
    """One use of the page: ``kind`` ("reply" or "appeal", the draft's kind)."""

    kind: str
    ticket: object
    #: Files the ticket holds already (they count against MAX_FILES_PER_TICKET).
    attached: int
    #: ``send(text, files, key) -> event``; raises ``SendRefused``.
    send: Callable[[str, list[StoredFile], str], object]
    #: Whether a send with this key was already made (its sent page is shown).
    sent_before: Callable[[str], bool]
    #: The sent page of a key.
    done_url: Callable[[str], str]
    #: ``render(form, draft, remaining, http_status) -> response``.
    render: Callable[..., object]
    #: Why nothing can be sent now (the ticket no longer waits, the window
    #: closed), or None; read from the ticket as it is when called.
    refusal: Callable[[], str | None] = lambda: None
    text_required: bool = False
    text_label: str = ""
    text_hint: str = ""
    #: Keeps the drafts of one ticket's pages apart in the session (office, public).
    scope: str = ""
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)


def handle(page: Page):
    """The GET or POST of a text-and-files page."""
    draft = load(page)
    left = remaining(page, draft)
    refusal = page.refusal()
    if request.method == "GET":
        form = blank_form(page, draft)
        if refusal:
            form.form_errors.append(refusal)
        return page.render(form, draft, left, 409 if refusal else 200)

    form = _form(page)
    if page.sent_before(form.key.data or ""):
        return redirect(page.done_url(form.key.data), 303)
    action = request.form.get("action", "")
    draft.text = form.text.data or ""
    if form.key.data and len(form.key.data) <= 64:
        draft.key = form.key.data  # the key of the page the resident sees
    if refusal:
        save(page, draft)
        form.form_errors.append(refusal)
        return page.render(form, draft, left, 409)
    status = _upload_if_chosen(page, form, draft) if form.validate() else 400
    if status != 200:
        if action == "send":
            form.form_errors.append(_("Nothing was sent yet. See the message below."))
        save(page, draft)
        return page.render(form, draft, remaining(page, draft), status)
    if action.startswith("remove-"):
        _remove(draft, action.removeprefix("remove-"))
    if action.startswith("keep-") and action.removeprefix("keep-").isdigit():
        evidence_quality.keep(draft.files, int(action.removeprefix("keep-")))
    if action == "send":
        return _send(page, form, draft)
    save(page, draft)
    return redirect(request.path, 303)


def blank_form(page: Page, draft: TextDraft) -> TextAndFilesForm:
    """The form as the draft left it (not from a request)."""
    data = {"text": draft.text, "doc_type": draft.last_doc_type, "key": draft.key}
    return _form(page, formdata=None, data=data)


def _form(page: Page, **kwargs) -> TextAndFilesForm:
    form = TextAndFilesForm(**kwargs)
    form.text.label.text = page.text_label
    form.text.description = page.text_hint
    form.doc_type.choices = [("", _("Choose what is in the file")), *DOC_TYPE_LABELS.items()]
    return form


def remaining(page: Page, draft: TextDraft) -> int:
    limit = current_app.config["MAX_FILES_PER_TICKET"]
    return max(0, limit - page.attached - len(draft.files))


def _upload_if_chosen(page: Page, form: TextAndFilesForm, draft: TextDraft) -> int:
    """Upload the chosen file, if any; the HTTP status for the page (200: fine)."""
    if not form.file_chosen():
        return 200
    try:
        draft.files.append(
            receive_upload(
                form.file.data,
                form.doc_type.data,
                keep_gps=False,
                files=draft.files,
                attached=page.attached,
            )
        )
    except evidence.EvidenceError as exc:
        form.file.errors = [evidence_message(exc.code)]
        return 413 if exc.code == "too_large" else 400
    except Refused as exc:
        form.file.errors = [exc.message]
        return 429
    draft.last_doc_type = form.doc_type.data
    return 200


def evidence_message(code: str) -> str:
    if code in QUOTA_ERRORS:
        return quota_message(code)
    config = current_app.config
    return str(EVIDENCE_ERRORS[code]) % {
        "max_mb": config["MAX_FILE_BYTES"] // (1024 * 1024),
        "max_files": config["MAX_FILES_PER_TICKET"],
    }


def _remove(draft: TextDraft, index: str) -> None:
    if index.isdigit() and int(index) < len(draft.files):
        evidence.delete_stored(draft.files.pop(int(index))["stored_name"])


def _send(page: Page, form: TextAndFilesForm, draft: TextDraft):
    if evidence_quality.undecided(draft.files):
        form.form_errors.append(_("Nothing was sent yet. See the message below."))
        form.form_errors.append(str(evidence_quality.UNDECIDED))
        save(page, draft)
        return page.render(form, draft, remaining(page, draft), 400)
    if not draft.text and (page.text_required or not draft.files):
        form.text.errors.append(
            _("Write why you think the decision is wrong")
            if page.text_required
            else _("Write your reply or add a file")
        )
        save(page, draft)
        return page.render(form, draft, remaining(page, draft), 400)
    key = form.key.data
    try:
        with transaction():
            if not claim(draft):
                raise _Raced  # a send of this draft (another tab) committed first
            page.send(draft.text, draft.stored_files(), key)
    except SendRefused as refused:
        save(page, draft)
        form.form_errors.append(refused.message)
        return page.render(form, draft, remaining(page, draft), refused.http_status)
    except (IntegrityError, StaleDataError, _Raced):
        db.session.rollback()
        if not page.sent_before(key):
            return _lost_race(page, draft)
        # Another send with this very key (a double click) won: show what it did.
    forget(page)
    return redirect(page.done_url(key), 303)


class _Raced(Exception):
    """The draft was gone when the send came to claim it."""


def _lost_race(page: Page, draft: TextDraft):
    """Nothing was sent: another send changed the ticket first (another tab or
    browser, with its own key), or the key is on another event already. The
    text and files are kept in the draft and the page says why, as the ticket
    is now (409)."""
    db.session.refresh(page.ticket)
    refusal = page.refusal()
    if refusal is None:  # the ticket still waits: the key was the problem
        draft.key = secrets.token_urlsafe(24)
        refusal = _("Nothing was sent yet. Check your text and press send again.")
    save(page, draft)
    form = blank_form(page, draft)
    form.form_errors.append(refusal)
    return page.render(form, draft, remaining(page, draft), 409)


def preview(page: Page, index: int):
    """A small picture of one of the draft's own files (404 for anything else)."""
    files = load(page).files
    if not 0 <= index < len(files) or files[index].get("media_type") not in PREVIEW_FORMAT:
        abort(404)
    return preview_response(files[index])


#: For the templates.
PAGE_HELPERS = {
    "doc_labels": DOC_TYPE_LABELS,
    "size_text": size_text,
    "previewable": PREVIEW_FORMAT,
    **evidence_quality.HELPERS,
}
