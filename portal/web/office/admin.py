"""``/office/admin``: staff accounts, for admins (every account) and
supervisors (their region's: ``portal.staff.admin``). The list, one
account's page, and its actions (deactivate, reactivate, reset TOTP,
unlock); creating and changing an account are in ``admin_edit.py``.

An account outside the manager's reach answers 404, as a ticket outside an
office's region does. Each action form carries the account's fingerprint as
the page showed it: a second click (or another manager's change in
between) changes nothing. A reset's invitation link is made from that
fingerprint (``invitations.token_for``), so a second click shows the same
link again rather than a new one.
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from forms.admin import MAX_PAGE, AccountFilterForm, ActionForm
from portal.db import keyring, transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.staff import admin, admin_actions, admin_list, invitations, recovery
from portal.staff import admin_account as admin_account_data
from portal.staff.models import ROLES, StaffUser
from portal.web.office import auth, bp, nav
from portal.web.office.admin_labels import ACTION_DONE, REFUSALS, STALE, history_label
from portal.web.office.auth import log_denied, staff_required
from portal.web.office.ticket import local_time
from portal.web.office.views import ROLE_LABELS

MANAGERS = admin.MANAGERS
ACTIONS = ("deactivate", "reactivate", "reset-totp", "unlock")

nav.register("office.admin_accounts", _l("Staff accounts"), MANAGERS, order=90)


def render(template: str, **context) -> str:
    """``render_template`` with ``local_time`` (times as Jakarta time)."""
    return render_template(template, local_time=local_time, **context)


def reach() -> admin.Scope:
    return admin.scope(g.staff, g.staff_office)


def account_or_404(staff_id: int) -> StaffUser:
    user = admin.manageable(reach(), staff_id)
    if user is None:
        log_denied("not_visible")
        abort(404)
    return user


def account_url(user: StaffUser) -> str:
    return url_for("office.admin_account", staff_id=user.id)


def invitation_link(token: str) -> str:
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")
    return base + url_for("office.invite", token=token)


def link_page(user: StaffUser, token: str, *, reset: bool):
    """The invitation link, shown once to pass on."""
    found = invitations.find(token, auth.now())
    return render(
        "office/admin/link.html",
        account=user,
        link=invitation_link(token),
        expires_at=found.invitation.expires_at if found.invitation else None,
        reset=reset,
    )


@bp.get("/admin")
@staff_required(*MANAGERS)
def admin_accounts():
    scope = reach()
    form = AccountFilterForm(request.args)
    roles = admin.assignable_roles(scope)
    form.role.choices = [("", _l("Any role")), *((r, ROLE_LABELS[r]) for r in roles)]
    offices = admin.offices_in(scope)
    named = ((str(o.id), f"{o.name} ({o.code})") for o in offices)
    form.office.choices = [("", _l("Any office")), *named]
    form.validate()
    office_ids = {str(o.id) for o in offices}
    filters = admin_list.AccountFilters(
        q=(form.q.data or "")[:100] if not form.q.errors else "",
        role=form.role.data if form.role.data in roles else "",
        active=form.active.data if form.active.data in ("0", "1") else "",
        office_id=int(form.office.data) if form.office.data in office_ids else None,
    )
    number = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    page = admin_list.fetch(scope, filters, number, keyring(), auth.now())
    args = request.args.to_dict(flat=False)
    return render(
        "office/admin/list.html",
        form=form,
        page=page,
        role_labels=ROLE_LABELS,
        may_create=True,
        page_url=lambda n: url_for("office.admin_accounts", **{**args, "page": [str(n)]}),
    )


@bp.get("/admin/<int:staff_id>")
@staff_required(*MANAGERS)
def admin_account(staff_id: int):
    user = account_or_404(staff_id)
    now = auth.now()
    office = db.session.get(Office, user.office_id) if user.office_id else None
    invitation = admin_account_data.latest_invitation(user.id)
    history = admin_account_data.history(user.id)
    form = ActionForm(seen=admin.fingerprint(user, keyring()))
    return render(
        "office/admin/account.html",
        account=user,
        office=office,
        districts=admin.districts_of(user.id),
        locked_until=admin.locked_until(keyring(), [user], now).get(user.id),
        recovery_left=recovery.remaining(user.id),
        invitation=invitation,
        invitation_state=admin_account_data.invitation_state(invitation, now),
        history=[(at, history_label(detail, ROLE_LABELS), by) for at, detail, by in history],
        form=form,
        own=user.id == g.staff.id,
        may_reset=admin.may_reset(g.staff, user),
        role_labels=ROLE_LABELS,
        roles=ROLES,
    )


@bp.post("/admin/<int:staff_id>/<action>")
@staff_required(*MANAGERS)
def admin_action(staff_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    user = account_or_404(staff_id)
    form = ActionForm()
    form.validate_on_submit()  # CSRF is checked for every POST before this
    seen, now, keys = form.seen.data or "", auth.now(), keyring()
    token = invitations.token_for(keys, f"reset:{user.id}:{seen}")
    if seen != admin.fingerprint(user, keys):
        if action == "reset-totp" and invitations.made_for(token, g.staff.id) is not None:
            return link_page(user, token, reset=True)  # a second click: the same link
        flash(str(ACTION_DONE[action] if _already(user, action) else STALE))
        return redirect(account_url(user), code=303)
    hours = current_app.config["STAFF_INVITATION_HOURS"]
    try:
        with transaction():
            if action == "deactivate":
                admin_actions.deactivate(g.staff, user, now)
            elif action == "reactivate":
                admin_actions.reactivate(g.staff, user, now)
            elif action == "unlock":
                admin_actions.unlock(g.staff, user, keys, now)
            else:
                admin_actions.reset_totp(g.staff, user, now, hours, token)
    except admin.AdminRefused as exc:
        flash(str(REFUSALS[exc.code]))
        return redirect(account_url(user), code=303)
    if action == "reset-totp":
        return link_page(user, token, reset=True)
    flash(str(ACTION_DONE[action]))
    return redirect(account_url(user), code=303)


def _already(user: StaffUser, action: str) -> bool:
    """True when what ``action`` does already holds (a second click)."""
    if action == "deactivate":
        return not user.active
    if action == "reactivate":
        return bool(user.active)
    if action == "unlock":
        return user.id not in admin.locked_until(keyring(), [user], auth.now())
    return False
