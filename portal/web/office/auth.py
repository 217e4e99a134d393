"""Who is logged in, and the permission decorators (SECURITY.md AU2, AU4, AU6, RL4).

Every ``/office`` view is decorated with ``staff_required(*roles)`` or, for
the login pages, ``login_page``; both leave an ``office_permission``
attribute that a test checks on every route. Authenticated requests count
against a per-account budget (``STAFF_LIMIT_PER_ACCOUNT``), not the office's
shared address.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

from flask import abort, current_app, g, redirect, request, session, url_for

from portal import ratelimit
from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.staff.sessions import resolve_session
from portal.web.office import bp

log = logging.getLogger("portal.office")

SESSION_STAFF = "staff_session"
SESSION_PENDING = "staff_login_pending"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@bp.before_request
def load_staff() -> None:
    """``g.staff`` and ``g.staff_office`` from the session (None: not logged
    in). Also called by a handler of an error raised before it ran."""
    token = session.get(SESSION_STAFF)
    config = current_app.config
    g.staff = resolve_session(
        token,
        now(),
        idle=dt.timedelta(minutes=config["STAFF_IDLE_MINUTES"]),
        absolute=dt.timedelta(hours=config["STAFF_SESSION_HOURS"]),
    )
    # An ended or refreshed session is written at once. Most requests change
    # nothing (``last_seen_at`` is written once a minute): committing anyway
    # would expire the loaded account, so the view would read it again, on a
    # connection checked out (and pinged) anew: 3-4 PostgreSQL round trips.
    if db.session.dirty or db.session.new or db.session.deleted:
        with transaction():
            pass
    if token and g.staff is None:
        session.pop(SESSION_STAFF, None)
    office_id = g.staff.office_id if g.staff is not None else None
    g.staff_office = db.session.get(Office, office_id) if office_id else None


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def staff_required(*roles: str):
    """Logged-in staff only (else the login page), of one of ``roles`` if given
    (else 403), within their per-account request budget (else 429)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            staff = g.get("staff")
            if staff is None:
                return redirect(url_for("office.login"))
            if roles and staff.role not in roles:
                log_denied("role")
                abort(403)
            ratelimit.hit_or_429(
                current_app.config["STAFF_LIMIT_PER_ACCOUNT"], "staff", str(staff.id)
            )
            return view(*args, **kwargs)

        wrapped.office_permission = roles or ("staff",)
        return wrapped

    return decorate


def log_denied(reason: str) -> None:
    """One security log line for a refused office request (SECURITY.md LG1):
    ``role`` (403) or ``not_visible`` (another office's ticket, 404). Ids and
    the endpoint only, never a reference or anything typed."""
    staff = g.get("staff")
    log.info(
        "office denied",
        extra={
            "event": {
                "event": "office_denied",
                "staff_id": staff.id if staff is not None else None,
                "reason": reason,
                "endpoint": request.endpoint,
            }
        },
    )


def login_page(view):
    """Marks a page anyone may open: the login steps and logout."""
    view.office_permission = ("public",)
    return view
