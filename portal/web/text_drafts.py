"""The draft of a text-and-files page (``portal.web.text_and_files``): the
text typed, the files added, the page's idempotency key and the last
document type chosen, kept between presses and visits.

The draft itself is a server-side row (``drafts``, ``Draft.kind`` "reply"
or "appeal", encrypted; ``portal.tickets.drafts``); the session holds only
its id, per page scope, kind and ticket (``SESSION_KEY``), at most
``MAX_DRAFTS`` of them. A send claims (deletes) the draft in its own
transaction (``claim``), so two sends of one draft cannot both go through.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import request, session

from portal.db import keyring, transaction
from portal.tickets import evidence
from portal.tickets.drafts import claim_draft, load_draft, save_draft
from portal.tickets.evidence import StoredFile

if TYPE_CHECKING:
    from portal.web.text_and_files import Page

#: The Flask session key: ``{"<scope><kind>:<ticket id>": draft id}``.
SESSION_KEY = "text_drafts"
#: Drafts kept per session: the newest win.
MAX_DRAFTS = 4


@dataclass
class TextDraft:
    kind: str
    ticket_id: int
    text: str = ""
    files: list[dict] = field(default_factory=list)
    key: str = ""
    last_doc_type: str = ""
    draft_id: str | None = None

    def stored_files(self) -> list[StoredFile]:
        return [StoredFile(**f) for f in self.files]


def _slot(page: Page) -> str:
    return f"{page.scope}{page.kind}:{page.ticket.id}"


def load(page: Page) -> TextDraft:
    """This session's draft for the page's ticket, or a new one with a fresh key."""
    draft_id = (session.get(SESSION_KEY) or {}).get(_slot(page))
    if draft_id:
        stored = load_draft(draft_id, keyring=keyring(), now=page.now())
        answers = stored.answers if stored is not None and stored.kind == page.kind else {}
        if answers.get("ticket_id") == page.ticket.id:
            return TextDraft(
                page.kind,
                page.ticket.id,
                text=answers.get("text", ""),
                files=list(answers.get("files", [])),
                key=answers.get("key") or secrets.token_urlsafe(24),
                last_doc_type=answers.get("last_doc_type", ""),
                draft_id=draft_id,
            )
    return TextDraft(page.kind, page.ticket.id, key=secrets.token_urlsafe(24))


def save(page: Page, draft: TextDraft) -> None:
    answers = {
        "ticket_id": draft.ticket_id,
        "text": draft.text,
        "files": draft.files,
        "key": draft.key,
        "last_doc_type": draft.last_doc_type,
    }
    with transaction():
        draft.draft_id = save_draft(
            page.kind, answers, keyring=keyring(), now=page.now(), draft_id=draft.draft_id
        )
    slots = {k: v for k, v in (session.get(SESSION_KEY) or {}).items() if k != _slot(page)}
    newest = [*list(slots.items())[-(MAX_DRAFTS - 1) :], (_slot(page), draft.draft_id)]
    session[SESSION_KEY] = dict(newest)
    # ``flask evidence sweep`` spares files younger than a draft's lifetime.
    for item in draft.files:
        evidence.touch_stored(item["stored_name"])


def claim(draft: TextDraft) -> bool:
    """Delete the draft within the caller's transaction; False when it was
    gone already (a send of it from another tab committed first)."""
    return claim_draft(draft.draft_id)


def keep_text(page: Page) -> bool:
    """Save the posted text (and the page's key) to the draft, nothing else:
    for a POST that cannot be acted on (``track_access.keeps_typed``).
    True when some text was kept."""
    if "text" not in request.form:
        return False
    draft = load(page)
    draft.text = request.form["text"]
    key = request.form.get("key", "")
    if key and len(key) <= 64:
        draft.key = key
    save(page, draft)
    return bool(draft.text.strip())


def forget(page: Page) -> None:
    """Drop the page's draft id from the session (after a send)."""
    slots = dict(session.get(SESSION_KEY) or {})
    if slots.pop(_slot(page), None) is not None:
        session[SESSION_KEY] = slots
