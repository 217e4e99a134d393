"""Staff login in two steps (password, then TOTP code) and logout (AU1, AU2).

After the password, the session holds only the account id for five minutes;
the code step then clears the whole session (a new cookie, a new CSRF token)
and starts a server-side staff session. Every wrong answer gets the same
message, whichever part was wrong and whether the account exists.
"""

from __future__ import annotations

import base64
import logging
import math

from flask import (
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from forms.office import CodeForm, LoginForm
from portal import ratelimit
from portal.db import keyring, transaction
from portal.extensions import db
from portal.staff.accounts import DEMO_ENVIRONMENTS, normalise_email
from portal.staff.login import (
    DEVICE_COOKIE,
    DEVICE_DAYS,
    CodeCheck,
    Lock,
    check_code,
    check_password,
    remember_device,
)
from portal.staff.models import StaffUser
from portal.staff.sessions import end_session, start_session
from portal.web.office import bp
from portal.web.office.auth import SESSION_PENDING, SESSION_STAFF, login_page, now

log = logging.getLogger("portal.office")
PENDING_SECONDS = 300
WRONG_PASSWORD = _l("The email address or password is not right.")
WRONG_CODE = _l(
    "The code is not right or was already used. Enter the code your app shows now, "
    "or an unused recovery code."
)


def _refused(step: str) -> None:
    event = {"event": "staff_login", "step": step, "outcome": "refused"}
    log.info("staff login refused", extra={"event": event})


def _page(template: str, form, status: int | None = None):
    status = status or (400 if form.errors or form.form_errors else 200)
    return make_response(render_template(template, form=form), status)


def _locked(template: str, form, lock: Lock, moment):
    """The limit page (AU7): what happened, and how long to wait."""
    minutes = lock.minutes_left(moment)
    if lock.whole_account:
        message = ngettext(
            "This account is locked after many wrong tries from several places. "
            "Try again in %(num)d minute, or ask an administrator to unlock it. "
            "A browser you have logged in with before can still log in.",
            "This account is locked after many wrong tries from several places. "
            "Try again in %(num)d minutes, or ask an administrator to unlock it. "
            "A browser you have logged in with before can still log in.",
            minutes,
        )
    else:
        message = ngettext(
            "Logging in to this account from your network is paused after 5 wrong tries. "
            "Try again in %(num)d minute.",
            "Logging in to this account from your network is paused after 5 wrong tries. "
            "Try again in %(num)d minutes.",
            minutes,
        )
    form.form_errors.append(message)
    response = _page(template, form, 429)
    response.headers["Retry-After"] = str(max(1, math.ceil((lock.until - moment).total_seconds())))
    return response


def _account_key(email: str) -> str:
    """The per-account login budget's key: the account (by a keyed digest of
    its email, never the email) from this address. Per address too, so that
    someone elsewhere spending it cannot keep the real user out."""
    digest = keyring().content_digest(normalise_email(email).encode("utf-8"))
    account = base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")
    return f"{account}:{ratelimit.address_key()}"


@bp.route("/login", methods=["GET", "POST"])
@login_page
@ratelimit.posts_per_address("STAFF_LOGIN_LIMIT_PER_IP")
def login():
    if g.staff is not None:
        return redirect(url_for("office.home"))
    form = LoginForm()
    if form.validate_on_submit():
        limit = current_app.config["STAFF_LOGIN_LIMIT_PER_ACCOUNT"]
        ratelimit.hit_or_429(limit, "staff-login", _account_key(form.email.data))
        moment = now()
        with transaction():  # failures are counted even when the answer is no
            checked = check_password(
                form.email.data,
                form.password.data,
                moment,
                keyring=keyring(),
                address=ratelimit.address_key(),
                allow_demo=current_app.config["ENV_NAME"] in DEMO_ENVIRONMENTS,
                device_cookie=request.cookies.get(DEVICE_COOKIE, ""),
            )
        user = checked.user
        if user is not None:
            session[SESSION_PENDING] = {
                "id": user.id,
                "until": moment.timestamp() + PENDING_SECONDS,
            }
            return redirect(url_for("office.code"), code=303)
        _refused("password")
        if checked.lock is not None:
            return _locked("office/login.html", form, checked.lock, moment)
        form.form_errors.append(str(WRONG_PASSWORD))
    return _page("office/login.html", form)


@bp.route("/login/code", methods=["GET", "POST"])
@login_page
@ratelimit.posts_per_address("STAFF_LOGIN_LIMIT_PER_IP")
def code():
    pending = session.get(SESSION_PENDING)
    moment = now()
    if not pending or pending.get("until", 0) < moment.timestamp():
        session.pop(SESSION_PENDING, None)
        flash(_("Log in again: the code was not entered within 5 minutes."))
        return redirect(url_for("office.login"), code=303)
    form = CodeForm()
    if form.validate_on_submit():
        limit = current_app.config["STAFF_LOGIN_LIMIT_PER_ACCOUNT"]
        ratelimit.hit_or_429(limit, "staff-code", f"{pending['id']}:{ratelimit.address_key()}")
        device_cookie = request.cookies.get(DEVICE_COOKIE, "")
        with transaction():
            user = db.session.get(StaffUser, pending["id"])
            checked = (
                check_code(
                    user,
                    form.code.data,
                    keyring(),
                    moment,
                    address=ratelimit.address_key(),
                    device_cookie=device_cookie,
                )
                if user is not None
                else CodeCheck(False)
            )
            token = start_session(user, moment) if checked.ok else None
            device = remember_device(keyring(), user, device_cookie) if checked.ok else None
        if checked.ok:
            session.clear()  # a new session cookie and CSRF token: nothing carries over
            session[SESSION_STAFF] = token
            log.info(
                "staff login",
                extra={"event": {"event": "staff_login", "staff_id": user.id, "outcome": "ok"}},
            )
            if checked.recovery_left is not None:
                _recovery_notice(checked.recovery_left)
            response = redirect(url_for("office.home"), code=303)
            _set_device_cookie(response, device)
            return response
        _refused("code")
        if checked.lock is not None:
            return _locked("office/code.html", form, checked.lock, moment)
        form.form_errors.append(str(WRONG_CODE))
    return _page("office/code.html", form)


def _recovery_notice(left: int) -> None:
    """After a login with a recovery code: how many are left, and what to do."""
    flash(
        ngettext(
            "You logged in with a recovery code. %(num)d recovery code is left. "
            "Ask an administrator to reset your authenticator to set up your new phone.",
            "You logged in with a recovery code. %(num)d recovery codes are left. "
            "Ask an administrator to reset your authenticator to set up your new phone.",
            left,
        )
    )


def _set_device_cookie(response, value: str) -> None:
    """This browser is a known device of the account (``portal.staff.login``):
    sent only to the login pages, never readable by scripts."""
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_DAYS * 24 * 3600,
        path=url_for("office.login"),
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )


@bp.post("/logout")
@login_page
def logout():
    with transaction():
        end_session(session.get(SESSION_STAFF), now())
    session.clear()
    flash(_("You are logged out."))
    response = redirect(url_for("office.login"), code=303)
    # The browser forgets this session's offline key (a tab keeps it in
    # sessionStorage), the drafts sealed with it (no other key opens them)
    # and the service worker (docs/offline.md).
    response.headers["Clear-Site-Data"] = '"storage"'
    return response
