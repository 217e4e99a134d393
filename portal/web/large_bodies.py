"""Pages that take files read bodies over ``MAX_CONTENT_LENGTH``.

The general limit (``MAX_CONTENT_LENGTH``, a little over one file) refuses a
body before anything of it is read, with the general 413 page: what was
typed in the form is gone. The pages that take files raise their limit to
``EVIDENCE_MAX_REQUEST_BYTES`` for a session that may use them, so a file
somewhat too large is refused on the page itself by the upload's checks;
a body over even that is answered by the page again, from its draft, with
the limit stated (``too_large_page``).

Used by the resident's reply and appeal pages (``track_reply``), the
operator's pass-on (``office.reply``) and the field visit (``office.visits``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from flask import Blueprint, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from portal.web import text_and_files, text_drafts
from portal.web.pages import private_page
from portal.web.text_and_files import Page


def raise_limit(bp: Blueprint, endpoints: Collection[str], may: Callable[[], bool]) -> None:
    """A POST to one of ``endpoints`` reads up to ``EVIDENCE_MAX_REQUEST_BYTES``
    when ``may()`` (read from the session only: a logged-in staff member, a
    granted resident). Runs first of all, before CSRF protection reads the form."""

    def _raise_limit() -> None:
        if request.method == "POST" and request.endpoint in endpoints and may():
            request.max_content_length = current_app.config["EVIDENCE_MAX_REQUEST_BYTES"]

    @bp.record_once
    def _first_before_request(state) -> None:
        state.app.before_request_funcs.setdefault(None, []).insert(0, _raise_limit)


def keep_page_on_too_large(
    bp: Blueprint, endpoints: Collection[str], page_of: Callable[[], Page | None]
) -> None:
    """A body over the limit sent to one of ``endpoints``: the page again from
    its draft (``page_of()``, None when the session may not see it), the file
    refused with the limit stated (413). Other pages of ``bp``: the general
    413 page."""

    @bp.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge):
        page = page_of() if request.endpoint in endpoints else None
        if page is None:
            return private_page("errors/http.html", 413, code=413)
        return too_large_page(page)


def too_large_page(page: Page):
    """The page as its draft left it (nothing of this body was read)."""
    draft = text_drafts.load(page)
    form = text_and_files.blank_form(page, draft)
    form.file.errors = [text_and_files.evidence_message("too_large")]
    return page.render(form, draft, text_and_files.remaining(page, draft), 413)
