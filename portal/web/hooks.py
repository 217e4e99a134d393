"""Webhooks from outside services: the SMS gateway's inbound messages (issue 11 §6).

``POST /hooks/sms`` — the contract with the gateway:

* **Authentication**: the header ``X-Webhook-Secret`` carries the shared
  secret ``SMS_INBOUND_SECRET``, compared in constant time
  (``hmac.compare_digest``, SECURITY.md AU8). A missing or wrong secret, or
  no secret configured, is answered ``403`` and logged (never the body).
* **Body**: JSON ``{"from": "+6281234567890", "text": "CEK DT-7KQ4-M9XW",
  "id": "<the gateway's message id>"}``, or the same names form-encoded
  (``application/x-www-form-urlencoded``). ``from`` and ``id`` are required
  (at most 64 and 128 characters); ``text`` may be empty (it gets the help
  text). Anything else is ``400 {"ok": false}``.
* **Answer**: ``200 {"ok": true}`` once the message is accepted, whatever
  the SMS says and whether an answer is sent (``portal.notify.inbound``): the
  answer itself goes out later through the outbox, as an SMS to ``from``.
  The gateway may deliver the same ``id`` again: it is answered once.
* **Limits**: ``SMS_HOOK_LIMIT_PER_IP`` POSTs per address (``429`` past it),
  and ``SMS_REPLY_LIMIT_PER_NUMBER`` answers per sender number.

Not a form: no CSRF token (the secret authenticates the caller), no session.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from portal import ratelimit
from portal.db import keyring, transaction
from portal.extensions import csrf
from portal.notify.inbound import answer_inbound

bp = Blueprint("hooks", __name__)
log = logging.getLogger(__name__)

SECRET_HEADER = "X-Webhook-Secret"  # noqa: S105 - the header's name, not a secret
#: The longest ``from`` and ``id`` accepted; a text is cut to this many characters.
MAX_SENDER, MAX_ID, MAX_TEXT = 64, 128, 480


@bp.post("/hooks/sms")
@csrf.exempt
@ratelimit.posts_per_address("SMS_HOOK_LIMIT_PER_IP")
def inbound_sms():
    if not _authentic():
        _log("sms_hook_refused", "secret")
        return jsonify(ok=False), 403
    fields = request.get_json(silent=True) if request.is_json else request.form
    if not hasattr(fields, "get"):  # JSON that is not an object
        fields = {}
    sender, text, gateway_id = (_text(fields, name) for name in ("from", "text", "id"))
    if not sender or not gateway_id or len(sender) > MAX_SENDER or len(gateway_id) > MAX_ID:
        _log("sms_hook_refused", "body")
        return jsonify(ok=False), 400
    try:
        with transaction():
            outcome = answer_inbound(sender, text[:MAX_TEXT], gateway_id, now(), keyring())
    except IntegrityError:  # the same message, answered by a concurrent delivery
        outcome = "repeat"
    _log("sms_hook", outcome)
    return jsonify(ok=True)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _authentic() -> bool:
    expected = current_app.config.get("SMS_INBOUND_SECRET")
    given = request.headers.get(SECRET_HEADER)
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _text(fields, name: str) -> str:
    value = fields.get(name)
    return value.strip() if isinstance(value, str) else ""


def _log(event: str, outcome: str) -> None:
    """What happened, never who sent what (no number, text or reference)."""
    log.info(event, extra={"event": {"event": event, "outcome": outcome}})
