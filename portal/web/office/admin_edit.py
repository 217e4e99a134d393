"""Creating an account (``/office/admin/new``) and changing its role or
place (``/office/admin/<id>/change``): the form's errors in an error
summary, nothing typed lost.

A new account gets no usable password and no TOTP, and an invitation link
(``portal.staff.invitations``) shown once on the answer to the form. The
form's random ``key`` makes the link's token (``invitations.token_for``): a
second click of "Create" finds the account and link the first click made and
shows them again, creating nothing more.
"""

from __future__ import annotations

import secrets

from flask import current_app, flash, g, redirect
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from forms.admin import NewAccountForm, PlacementForm
from portal.db import keyring, transaction
from portal.extensions import db
from portal.staff import admin, admin_actions, invitations
from portal.staff.models import StaffUser
from portal.web.office import auth, bp
from portal.web.office.admin import (
    MANAGERS,
    account_or_404,
    account_url,
    link_page,
    reach,
    render,
)
from portal.web.office.admin_labels import REFUSALS, STALE
from portal.web.office.auth import staff_required
from portal.web.office.views import ROLE_LABELS


def _choices(form: PlacementForm, scope: admin.Scope) -> None:
    form.role.choices = [(r, ROLE_LABELS[r]) for r in admin.assignable_roles(scope)]
    form.office.choices = [("", _("No office (operators)"))] + [
        (str(o.id), f"{o.name} ({o.code})") for o in admin.offices_in(scope)
    ]


def _placement(form: PlacementForm, scope: admin.Scope) -> admin.Placement | None:
    """The placement asked for, or None with the refusal on its field."""
    office = form.office.data
    try:
        return admin.place(
            scope,
            form.role.data,
            int(office) if (office or "").isdigit() else None,
            form.village.data or None,
            form.district_codes(),
        )
    except admin.AdminRefused as exc:
        getattr(form, exc.field).errors = [str(REFUSALS[exc.code])]
        return None


@bp.route("/admin/new", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def admin_new():
    scope = reach()
    form = NewAccountForm()
    _choices(form, scope)
    if not form.is_submitted():
        form.key.data = secrets.token_urlsafe(16)
        return _new_page(form)
    key = form.key.data if 16 <= len(form.key.data or "") <= 64 else secrets.token_urlsafe(16)
    token = invitations.token_for(keyring(), f"new:{key}")
    earlier = invitations.made_for(token, g.staff.id)
    if earlier is not None:  # a second click: the account and link the first made
        return link_page(db.session.get(StaffUser, earlier.staff_id), token, reset=False)
    valid = form.validate_on_submit()  # then the placement too: every error at once
    placement = _placement(form, scope) if form.role.data else None
    if not valid or placement is None:
        return _new_page(form, 400)
    hours = current_app.config["STAFF_INVITATION_HOURS"]
    try:
        with transaction():
            user = admin.create_account(
                g.staff, form.email.data, form.name.data, placement, auth.now(), hours, token
            )
    except admin.AdminRefused as exc:
        getattr(form, exc.field).errors = [str(REFUSALS[exc.code])]
        return _new_page(form, 400)
    except IntegrityError:  # the same email or key committed by a concurrent click
        earlier = invitations.made_for(token, g.staff.id)
        if earlier is None:
            form.email.errors = [str(REFUSALS["email_taken"])]
            return _new_page(form, 400)
        user = db.session.get(StaffUser, earlier.staff_id)
    return link_page(user, token, reset=False)


def _new_page(form, status: int = 200):
    return render("office/admin/new.html", form=form), status


@bp.route("/admin/<int:staff_id>/change", methods=["GET", "POST"])
@staff_required(*MANAGERS)
def admin_change(staff_id: int):
    user = account_or_404(staff_id)
    scope = reach()
    form = PlacementForm()
    _choices(form, scope)
    if not form.is_submitted():
        form.seen.data = admin.fingerprint(user, keyring())
        form.role.data = user.role
        form.office.data = str(user.office_id or "")
        form.village.data = user.village_code or ""
        form.districts.data = ", ".join(admin.districts_of(user.id))
        return _change_page(form, user)
    valid = form.validate_on_submit()
    placement = _placement(form, scope) if form.role.data else None
    if not valid or placement is None:
        return _change_page(form, user, 400)
    if form.seen.data != admin.fingerprint(user, keyring()):
        # A second click (the first made this change) or someone else's change.
        flash(_("The account is changed.") if _holds(user, placement) else str(STALE))
        return redirect(account_url(user), code=303)
    try:
        with transaction():
            changed = admin_actions.change(g.staff, user, placement, auth.now())
    except admin.AdminRefused as exc:
        form.form_errors.append(str(REFUSALS[exc.code]))
        return _change_page(form, user, 400)
    flash(_("The account is changed.") if changed else _("Nothing was changed."))
    return redirect(account_url(user), code=303)


def _change_page(form, user: StaffUser, status: int = 200):
    return render("office/admin/change.html", form=form, account=user), status


def _holds(user: StaffUser, placement: admin.Placement) -> bool:
    office_id = placement.office.id if placement.office is not None else None
    return (user.role, user.office_id, user.village_code, admin.districts_of(user.id)) == (
        placement.role,
        office_id,
        placement.village_code,
        list(placement.districts),
    )
