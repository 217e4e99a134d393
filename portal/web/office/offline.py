"""Offline drafts for the pages staff fill in where the signal drops: the
operator's assisted journey (``/office/assist/<kind>/…``) and the field
officer's visit record (``/office/visits/<reference>/record``). See
docs/offline.md.

What the server does is small. The pages work exactly as before without
JavaScript; with it, ``static/js/offline.js`` keeps a form sent while offline
in the browser's IndexedDB, encrypted (AES-GCM) with a key of *this login
session*, and posts it when the connection returns. The sends stay
idempotent on the server (the visit's ``key``, the check page's
``idempotency_key``), so a replay twice records nothing more.

The key is never stored: it is HMAC(secret key, the staff session's token).
The token is random per login and ends with the session (logout, idle or
absolute timeout), so drafts saved in an ended session cannot be read by
anyone, the server included. The key reaches the page only on the
``no-store`` offline pages, in ``templates/office/_offline.html``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app, g, request, session

from portal.web.office import bp
from portal.web.office.auth import SESSION_STAFF

#: Pages whose forms may be kept on the device: the visit record and the
#: assisted journey's question and check pages (``channel.ASSIST`` endpoints).
VISIT_RECORD = "office.visit_record"
ASSIST_PREFIX = "office.assist_"
NOT_OFFLINE = frozenset({"office.assist_done", "office.assist_receipt"})


def session_key() -> tuple[str, str] | None:
    """(the base64 AES key, its public id) of this login session, None when
    not logged in. The id tells the JavaScript which drafts it can read."""
    token = session.get(SESSION_STAFF)
    if not token or g.get("staff") is None:
        return None
    secret = current_app.secret_key
    secret = secret.encode() if isinstance(secret, str) else secret
    key = hmac.new(secret, b"offline-drafts\0" + str(token).encode(), hashlib.sha256).digest()
    key_id = hashlib.sha256(b"offline-key-id\0" + key).hexdigest()[:16]
    return base64.b64encode(key).decode(), key_id


def offline_page() -> bool:
    endpoint = request.endpoint or ""
    if endpoint in NOT_OFFLINE:
        return False
    return endpoint == VISIT_RECORD or endpoint.startswith(ASSIST_PREFIX)


@bp.context_processor
def _offline_context() -> dict:
    """``offline_key`` for base.html: set on the offline pages only."""
    if not offline_page():
        return {}
    return {"offline_key": session_key()}
