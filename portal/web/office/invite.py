"""``/office/invite/<token>``: the person an account was made for (or whose
TOTP was reset) sets their own password, then ``/office/invite/<token>/app``
enrols their authenticator app by QR code, confirmed with one code, and
shows the ten recovery codes once (``portal.staff.invitations``).

Anyone with the link may open these pages (``login_page``): the link is the
credential. An expired, used or unknown link gets a page that says so and
does nothing. Between the two steps the new TOTP secret and the recovery
codes wait in the session, encrypted with the server's key and bound to the
invitation; the same codes are stored at the last step, so a second click of
its button (the link is used by then) shows the same codes again instead of
a refusal, and only in the browser that used the link, minutes after.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

import segno
from flask import redirect, render_template, session, url_for
from flask_babel import lazy_gettext as _l

from forms.admin import InviteCodeForm, InvitePasswordForm
from portal import ratelimit
from portal.db import keyring, stored_utc, transaction
from portal.staff import invitations, recovery, totp
from portal.staff.invitations import OK, UNKNOWN, USED, Found, InvitationRefused
from portal.web.office import auth, bp
from portal.web.office.admin_labels import PASSWORD_PROBLEMS, PASSWORD_REFUSED
from portal.web.office.auth import login_page

SESSION_INVITE = "staff_invite"
#: A second click of the last step is recognised this long after the first.
DOUBLE_SUBMIT = dt.timedelta(minutes=10)
WRONG_CODE = _l("The code is not right. Enter the code your app shows now.")


def _purpose(found: Found) -> bytes:
    return b"staff_invitation.enrolment:" + str(found.invitation.id).encode("ascii")


def _keep(found: Found, secret: str, codes: list[str]) -> None:
    blob = keyring().encrypt(json.dumps({"secret": secret, "codes": codes}), _purpose(found))
    session[SESSION_INVITE] = {
        "id": found.invitation.id,
        "blob": base64.b64encode(blob).decode("ascii"),
    }


def _kept(found: Found) -> tuple[str, list[str]] | None:
    """The secret and codes waiting for this invitation in this browser."""
    kept = session.get(SESSION_INVITE)
    if found.invitation is None or not kept or kept.get("id") != found.invitation.id:
        return None
    try:
        data = json.loads(keyring().decrypt(base64.b64decode(kept["blob"]), _purpose(found)))
    except (ValueError, KeyError, TypeError):
        return None
    return data["secret"], data["codes"]


def _invalid(found: Found):
    status = 404 if found.state == UNKNOWN else 410
    return render_template("office/admin/invite_invalid.html", state=found.state), status


@bp.route("/invite/<token>", methods=["GET", "POST"])
@login_page
@ratelimit.posts_per_address("STAFF_LOGIN_LIMIT_PER_IP")
def invite(token: str):
    found = invitations.find(token, auth.now())
    if found.state != OK:
        return _invalid(found)
    form = InvitePasswordForm()
    if form.validate_on_submit():
        try:
            with transaction():
                invitations.set_password(found, form.password.data)
        except InvitationRefused as exc:
            form.password.errors = [str(PASSWORD_PROBLEMS.get(exc.detail, PASSWORD_REFUSED))]
        else:
            kept = _kept(found)  # the password set again: keep the QR code already scanned
            _keep(found, *(kept or (totp.new_secret(), recovery.new_codes())))
            return redirect(url_for("office.invite_app", token=token), code=303)
    page = render_template("office/admin/invite_password.html", form=form, account=found.user)
    return page, (400 if form.errors else 200)


@bp.route("/invite/<token>/app", methods=["GET", "POST"])
@login_page
@ratelimit.posts_per_address("STAFF_LOGIN_LIMIT_PER_IP")
def invite_app(token: str):
    now = auth.now()
    found = invitations.find(token, now)
    kept = _kept(found)
    if found.state == USED and kept and _just_used_here(found, kept[0], now):
        return _codes_page(found, kept[1])  # a second click of the last step
    if found.state != OK:
        return _invalid(found)
    if kept is None:  # the password comes first
        return redirect(url_for("office.invite", token=token), code=303)
    secret, codes = kept
    form = InviteCodeForm()
    if form.validate_on_submit():
        try:
            with transaction():
                invitations.complete(found, secret, form.code.data, codes, now, keyring())
        except InvitationRefused as exc:
            if exc.code != "code":
                return _invalid(invitations.find(token, now))
            form.code.errors = [str(WRONG_CODE)]
        else:
            return _codes_page(found, codes)
    uri = totp.provisioning_uri(secret, found.user.email)
    return render_template(
        "office/admin/invite_app.html",
        form=form,
        account=found.user,
        qr=segno.make(uri, error="m").png_data_uri(scale=4, border=4),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    ), (400 if form.errors else 200)


def _just_used_here(found: Found, secret: str, now: dt.datetime) -> bool:
    used = found.invitation.used_at
    return (
        used is not None
        and now - stored_utc(used) <= DOUBLE_SUBMIT
        and invitations.enrolled_with(found, secret, keyring())
    )


def _codes_page(found: Found, codes: list[str]):
    return render_template("office/admin/invite_codes.html", account=found.user, codes=codes)
