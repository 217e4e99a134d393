"""The evidence question (``/submit/<kind>/evidence``): upload, list and
remove files, and continue.

One form holds the file, its type and both buttons, so "Continue" with a
file chosen uploads it first (with JavaScript off too); a refused file is
said so on the same page with everything else kept. Budgets (issue 9 §2,
SECURITY.md UP1, UP8, UP9):

* a file over ``MAX_FILE_BYTES`` is measured, not read, and refused on the
  page: the route reads bodies up to ``EVIDENCE_MAX_REQUEST_BYTES``, and a
  larger one (cut short with a 413) still gets the evidence page;
* uploads per address (``UPLOAD_LIMIT_PER_IP``) and the bytes an address
  stores per day (``UPLOAD_MB_PER_IP_PER_DAY``), the bytes of one draft
  (``UPLOAD_MAX_BYTES_PER_DRAFT``): past them the file is refused with the
  wait in words, nothing is stored, and the resident may continue without it.

A photo the quality check flags is stored and marked; the page asks to keep
it or remove it before "Continue" moves on (``evidence_quality``).
"""

from __future__ import annotations

import math
from typing import IO

from flask import Response, abort, current_app, redirect, render_template, request, session
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge, TooManyRequests

from forms.submit import EvidenceForm
from portal import ratelimit
from portal.i18n import wait_words
from portal.tickets import evidence
from portal.tickets.image_clean import thumbnail_jpeg
from portal.web.public import channel, evidence_quality, journey
from portal.web.public.channel import route
from portal.web.public.journey import Journey, question_url
from portal.web.public.limits import limit_page
from portal.web.public.submit import (
    HOUSE_PHOTOS,
    KIND,
    answered,
    bp,
    evidence_message,
    question_page,
)
from portal.web.public.ticket_labels import DOC_TYPE_LABELS

#: Messages of the budget refusals; ``%`` with ``wait`` and ``draft_mb``.
QUOTA_ERRORS = {
    "draft_full": _l(
        "The files of one request can be %(draft_mb)d MB together. "
        "Remove a file or send a smaller one"
    ),
    "address_full": _l(
        "Many files were sent from your network today, so this file was not added. "
        "Try again in %(wait)s, or continue without it"
    ),
    "too_many_uploads": _l(
        "Many files were sent from your network in the last hour, so this file was not "
        "added. Try again in %(wait)s, or continue without it"
    ),
}
PREVIEW_SIDE = 96
PREVIEW_FORMAT = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


class Refused(Exception):
    """An upload refused by a budget: the message and the seconds to wait."""

    def __init__(self, message: str, wait: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.wait = wait


def ask(j: Journey):
    files = j.answers.setdefault("evidence", [])
    form = EvidenceForm(data={"doc_type": j.answers.get("last_doc_type", "")})
    form.doc_type.choices = _doc_choices()
    action = request.form.get("action") if request.method == "POST" else None
    if action == "remove":
        index = request.form.get("index", type=int)
        if index is not None and 0 <= index < len(files):
            evidence.delete_stored(files.pop(index)["stored_name"])
            journey.save(j)
        return redirect(question_url(j.kind, "evidence"))
    if action == "keep":
        if evidence_quality.keep(files, request.form.get("index", type=int)):
            journey.save(j)
        return redirect(question_url(j.kind, "evidence"))
    chosen = form.file.data is not None and bool(getattr(form.file.data, "filename", ""))
    if action == "continue" and not chosen:
        if evidence_quality.undecided(files):
            form.form_errors.append(str(evidence_quality.UNDECIDED))
            return _page(j, form, files)
        return answered(j, "evidence")
    if action not in ("upload", "continue") or not form.validate_on_submit():
        if action == "continue":  # a file chosen, but no type: say it was not added
            form.form_errors.append(_("Your file was not added. See the message below."))
        return _page(j, form, files)
    try:
        files.append(_upload(j, form, files))
    except evidence.EvidenceError as exc:
        message = (
            quota_message(exc.code) if exc.code in QUOTA_ERRORS else evidence_message(exc.code)
        )
        return _refused(j, form, files, message, action, too_large=exc.code == "too_large")
    except Refused as exc:
        return _refused(j, form, files, exc.message, action, wait=exc.wait)
    # Keep the type chosen: the next file is often of the same kind.
    j.answers["last_doc_type"] = form.doc_type.data
    # A flagged photo is shown with its warning first, even after "Continue".
    if action == "continue" and not evidence_quality.undecided(files):
        return answered(j, "evidence")
    journey.save(j)
    return redirect(question_url(j.kind, "evidence"))


def _doc_choices() -> list[tuple[str, str]]:
    """No type is chosen for the resident: a KTP preselected turned every
    house photo into a "KTP"."""
    return [("", _("Choose what is in the file")), *DOC_TYPE_LABELS.items()]


def _upload(j: Journey, form: EvidenceForm, files: list[dict]) -> dict:
    keep_gps = bool(form.keep_gps.data) and j.kind == "objection"
    return receive_upload(
        form.file.data,
        form.doc_type.data,
        keep_gps=keep_gps and form.doc_type.data in HOUSE_PHOTOS,
        # Every file to be sent: the photo of a signed consent form counts too.
        files=[*files, *_consent_form(j)],
    )


def _consent_form(j: Journey) -> list[dict]:
    """The photo of the signed consent form an operator attached, as a list."""
    item = j.answers.get("consent_form")
    return [item] if item else []


def receive_upload(
    upload, doc_type: str, *, keep_gps: bool, files: list[dict], attached: int = 0
) -> dict:
    """Check and store one uploaded file against every budget, for a list of
    draft ``files`` (descriptors) of a ticket that already holds ``attached``
    files; return its descriptor. Raises ``evidence.EvidenceError`` or
    ``Refused``; nothing is stored then. Shared by the submission's evidence
    page and the resident's reply and appeal (``portal.web.text_and_files``)."""
    config = current_app.config
    evidence.check_file_count(attached + len(files))
    # Counted before the size check: a refused oversized body was read too.
    # An operator's uploads count against their account, not the office's address.
    ip = channel.limit_key()
    wait = ratelimit.hit_or_wait(config["UPLOAD_LIMIT_PER_IP"], "upload", ip)
    if wait:
        raise Refused(quota_message("too_many_uploads", wait), wait)
    if _stream_size(upload.stream) > config["MAX_FILE_BYTES"]:
        raise evidence.EvidenceError("too_large", max_bytes=config["MAX_FILE_BYTES"])
    processed = evidence.process_upload(
        upload.filename or "", upload.read(), doc_type=doc_type, keep_gps=keep_gps
    )
    evidence.check_draft_bytes(sum(f.get("size", 0) for f in files), len(processed.data))
    # The address's daily storage, counted in KiB against "<n> per day".
    kib = math.ceil(len(processed.data) / 1024)
    daily = f"{config['UPLOAD_MB_PER_IP_PER_DAY'] * 1024} per day"
    wait = ratelimit.hit_or_wait(daily, "upload-kib", ip, cost=kib)
    if wait:
        raise Refused(quota_message("address_full", wait), wait)
    stored = evidence.store(processed)
    descriptor = journey.stored_descriptor(stored)
    descriptor["display_name"] = evidence.display_name(upload.filename or "")
    return descriptor


def _stream_size(stream: IO[bytes]) -> int:
    """The upload's size without reading it (Werkzeug spools big parts to disk)."""
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def quota_message(code: str, wait: int = 0) -> str:
    config = current_app.config
    return str(QUOTA_ERRORS[code]) % {
        "wait": wait_words(wait),
        "draft_mb": config["UPLOAD_MAX_BYTES_PER_DRAFT"] // (1024 * 1024),
    }


def _refused(
    j, form, files, message: str, action: str | None, *, wait: int = 0, too_large: bool = False
):
    form.file.errors = [message]
    if action == "continue":
        form.form_errors.append(_("Your file was not added. See the message below."))
    response = _page(j, form, files, 429 if wait else 413 if too_large else 400)
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


def _page(j: Journey, form: EvidenceForm, files: list[dict], http_status: int | None = None):
    return question_page(
        j,
        "evidence",
        form,
        http_status,
        files=files,
        # The room left for evidence beside the consent form.
        max_files=current_app.config["MAX_FILES_PER_TICKET"] - len(_consent_form(j)),
        consent_form=bool(_consent_form(j)),
        doc_labels=DOC_TYPE_LABELS,
        size_text=size_text,
        previewable=PREVIEW_FORMAT,
        undecided=evidence_quality.undecided(files),
        photo_check=evidence_quality.photo_check(current_app.config),
        **evidence_quality.HELPERS,
    )


def size_text(size: int) -> str:
    """ "340 KB", "1.2 MB" in the page's language."""
    if size < 1024 * 1024:
        return _("%(num)s KB", num=format_decimal(max(1, math.ceil(size / 1024))))
    return _("%(num)s MB", num=format_decimal(round(size / (1024 * 1024), 1)))


# The request body ------------------------------------------------------------------


def _is_evidence_post() -> bool:
    return (
        request.method == "POST"
        and request.endpoint == "submit.question"
        and (request.view_args or {}).get("name") == "evidence"
    )


def _evidence_body_limit() -> None:
    """Let the evidence page read a body over ``MAX_CONTENT_LENGTH``, so a
    file somewhat too large is refused on the page rather than by a 413.
    Runs before CSRF protection, which is the first to read the form."""
    # Only for a session with a journey of that kind under way: anyone else's
    # body stays within MAX_CONTENT_LENGTH.
    kind = (request.view_args or {}).get("kind")
    if _is_evidence_post() and kind in session.get(journey.SESSION_DRAFTS, {}):
        request.max_content_length = current_app.config["EVIDENCE_MAX_REQUEST_BYTES"]


@bp.record_once
def _first_before_request(state) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _evidence_body_limit)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge):
    """A body over even the evidence page's limit: the same page with the
    limit stated and the draft untouched; nothing was read, nothing stored
    (UP1). Other pages of the blueprint get the general 413 page."""
    if not _is_evidence_post():
        return render_template("errors/http.html", code=413), 413
    kind = (request.view_args or {}).get("kind", "")
    j = journey.load(kind)
    if not j.may_ask("evidence"):
        return render_template("errors/http.html", code=413), 413
    form = EvidenceForm(formdata=None, data={"doc_type": j.answers.get("last_doc_type", "")})
    form.doc_type.choices = _doc_choices()
    form.file.errors = [evidence_message("too_large")]
    return _page(j, form, j.answers.get("evidence", []), 413)


@bp.errorhandler(TooManyRequests)
def _busy(exc: TooManyRequests):
    """The question pages' anti-flood ceiling: say how long to wait, and that
    the answers so far are kept (the draft is on the server)."""
    retry = exc.retry_after if isinstance(exc.retry_after, int) else 60
    return limit_page("public/submit/busy.html", retry)


# Previews ----------------------------------------------------------------------------


@route(f"/{KIND}/evidence/<int:index>/preview")
def preview(kind: str, index: int):
    """A small picture of one of this session's own uploads. Only the draft
    in this session's cookie is looked in, so another draft's files cannot
    be named; never cached, never sniffed, no script can run in it."""
    files = journey.load(kind).answers.get("evidence", [])
    if not 0 <= index < len(files) or files[index].get("media_type") not in PREVIEW_FORMAT:
        abort(404)
    return preview_response(files[index])


def preview_response(item: dict):
    """A small JPEG of a draft's stored file (``item``: its descriptor)."""
    try:
        data = evidence.read_stored(item["stored_name"])
    except evidence.EvidenceNotFound:
        abort(404)
    settings = evidence.EvidenceSettings.from_config(current_app.config, current_app.instance_path)
    picture = thumbnail_jpeg(
        data, PREVIEW_FORMAT[item["media_type"]], PREVIEW_SIDE, settings.image_work_slots
    )
    response = Response(picture, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = 'inline; filename="preview.jpg"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
