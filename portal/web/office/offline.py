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
import json
import re
from pathlib import Path

from flask import Response, abort, current_app, g, request, session, url_for

from portal.web.office import bp
from portal.web.office.assist import assisted
from portal.web.office.auth import SESSION_STAFF, staff_required
from portal.web.public import channel, journey
from portal.web.public.submit import QUESTIONS
from portal.web.public.ticket_labels import SUBKIND_LABELS

#: Pages whose forms may be kept on the device: the visit record and the
#: assisted journey's question and check pages (``channel.ASSIST`` endpoints).
VISIT_RECORD = "office.visit_record"
ASSIST_PREFIX = "office.assist_"
NOT_OFFLINE = frozenset({"office.assist_done", "office.assist_receipt"})
SHELL = "office.offline_shell"
#: The questions whose page may be shown offline from a shell: those that ask
#: nothing about who the request is for (the subject's page stays online).
SHELL_QUESTIONS = ("reasons", "evidence", "contact", "consent")
#: Cached by the service worker when it is installed.
PRECACHED = ("css/portal.css", "js/offline.js")
WORKER = Path(__file__).resolve().parents[3] / "static" / "js" / "offline-sw.js"
CSRF_VALUE = re.compile(r'(<input[^>]*name="csrf_token"[^>]*value=")[^"]*(")')


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
    return endpoint in (VISIT_RECORD, SHELL) or endpoint.startswith(ASSIST_PREFIX)


@bp.context_processor
def _offline_context() -> dict:
    """``offline_key`` for base.html: set on the offline pages only (None on
    a shell: a shell is kept by the browser, the key never)."""
    if not offline_page():
        return {}
    if request.endpoint == SHELL:
        return {"offline_key": None, "offline_shell": True, "offline_shells": shells_after}
    return {"offline_key": session_key(), "offline_shell": False, "offline_shells": shells_after}


def shells_after(j) -> tuple[str, list[list[str]]]:
    """For a question page of the assisted journey: the URL of the next
    question, if it can be shown offline, and ``[page URL, shell URL]`` of
    every later question that can (the script caches them while online)."""
    if j is None or not j.subkind or not offline_page() or request.endpoint == VISIT_RECORD:
        return "", []
    current = (request.view_args or {}).get("name", "subkind")
    asked = j.questions()
    if current not in asked:
        return "", []
    later = [q for q in asked[asked.index(current) + 1 :] if q in SHELL_QUESTIONS]
    pairs = [
        [
            channel.ASSIST.url("question", kind=j.kind, name=q),
            url_for(SHELL, kind=j.kind, subkind=j.subkind, name=q),
        ]
        for q in later
    ]
    following = asked[asked.index(current) + 1 :]
    next_url = pairs[0][0] if pairs and following and following[0] == later[0] else ""
    return next_url, pairs


@bp.get("/assist/shell/<any(proposal, objection, correction):kind>/<subkind>/<name>")
@assisted
def offline_shell(kind: str, subkind: str, name: str):
    """A question page with no answer in it: the page a fresh journey of
    ``kind``/``subkind`` shows, without the CSRF token (the script adds the
    session's when it saves a draft) nor the key. The script keeps it in
    the browser's cache to go on answering offline."""
    if name not in SHELL_QUESTIONS or subkind not in SUBKIND_LABELS[kind]:
        abort(404)
    fresh = journey.Journey(kind, {"subkind": subkind}, fixed_village=g.staff.village_code)
    response = QUESTIONS[name](fresh)
    if response.status_code != 200:
        abort(404)
    html = CSRF_VALUE.sub(r"\1\2", response.get_data(as_text=True))
    response.set_data(html)
    return response


@bp.get("/sw.js")
@staff_required("operator", "field_officer")
def offline_worker():
    """The service worker, served under /office/ so its scope covers the
    office pages; the hashed static files it keeps are written in."""
    urls = [url_for("static", filename=name) for name in PRECACHED]
    version = hashlib.sha256("".join(urls).encode()).hexdigest()[:12]
    body = WORKER.read_text().replace('"__PRECACHED__"', json.dumps(urls))
    body = body.replace("__VERSION__", version)
    # no-store like every office page (auth._no_store): the browser checks
    # for a new worker on every registration.
    return Response(body, mimetype="text/javascript")
