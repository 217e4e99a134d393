"""One use of a partner key: who it is, its budget, and the audit row.

Every Open311 call that carries an ``api_key`` goes through ``use_key``
(SECURITY.md AU8): the key must belong to an active partner, the partner's
budget (``PARTNER_LIMIT_PER_KEY``, counted per partner in the shared
rate-limit storage) must not be spent, and the use is written to the audit
log (``partner_api_use``, detail ``partner:<id>:<action>``) with the
partner's ``last_used_at``. Adds and flushes; the caller commits (a read's
audit row too: wrap the view's work in ``portal.db.transaction()``).
"""

from __future__ import annotations

import datetime as dt
import re

from flask import current_app

from portal import ratelimit
from portal.audit.log import record
from portal.partners.keys import partner_for_key
from portal.partners.models import Partner

ACTION = re.compile(r"[a-z_]{1,24}")


class KeyRefused(Exception):
    """The key is missing, unknown or revoked (the answer is the same)."""


def use_key(raw: str | None, action: str, *, now: dt.datetime | None = None) -> Partner:
    """The partner this key belongs to, its use counted and audited.

    ``action`` is a short code for the audit row (``post_request``,
    ``get_requests``, ``get_request``). Raises ``KeyRefused``, or a 429
    (``werkzeug.exceptions.TooManyRequests`` with ``Retry-After``) once the
    partner's budget is spent."""
    if not ACTION.fullmatch(action):
        raise ValueError("an action is a short lowercase code")
    partner = partner_for_key(raw)
    if partner is None:
        raise KeyRefused
    limit = current_app.config["PARTNER_LIMIT_PER_KEY"]
    ratelimit.hit_or_429(limit, "partner", str(partner.id))
    now = now or dt.datetime.now(dt.UTC)
    record("partner_api_use", detail=f"partner:{partner.id}:{action}", now=now)
    partner.last_used_at = now
    return partner
