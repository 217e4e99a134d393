"""``/office/admin/partners``: partner systems and their Open311 API keys,
for admins only (SECURITY.md AU8). The list, creating a partner (its key
shown once, on the answer to the form, never again: only its hash is
kept), and revoking a key after a confirmation. Each change is an audit
row (``portal.partners.manage``). Every ``/office`` page is
``Cache-Control: no-store`` (``auth._no_store``), the key's page too.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from forms.partners import NewPartnerForm, RevokePartnerForm
from portal.db import transaction
from portal.extensions import db
from portal.partners.manage import PartnerError, all_partners, create_partner, revoke_partner
from portal.partners.models import Partner
from portal.web.office import auth, bp, nav
from portal.web.office.admin import render
from portal.web.office.auth import staff_required

ADMINS = ("admin",)

nav.register("office.admin_partners", _l("Partner API keys"), ADMINS, order=92)

REFUSALS = {
    "bad_name": _l(
        "Use only lowercase letters, digits, dots, dashes and underscores, "
        "at least 2 characters, starting with a letter or digit"
    ),
    "name_taken": _l("A partner with this name exists already. Choose another name"),
}


@bp.get("/admin/partners")
@staff_required(*ADMINS)
def admin_partners():
    return render("office/partners.html", partners=all_partners())


@bp.route("/admin/partners/new", methods=["GET", "POST"])
@staff_required(*ADMINS)
def admin_partner_new():
    form = NewPartnerForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render("office/partners_new.html", form=form), status
    try:
        with transaction():
            partner, key = create_partner(form.name.data, now=auth.now(), staff_id=g.staff.id)
    except (PartnerError, IntegrityError) as exc:  # the name taken by a concurrent click
        code = exc.code if isinstance(exc, PartnerError) else "name_taken"
        form.name.errors = [str(REFUSALS[code])]
        return render("office/partners_new.html", form=form), 400
    return render("office/partners_created.html", partner=partner, key=key)


def _partner_or_404(partner_id: int) -> Partner:
    partner = db.session.get(Partner, partner_id)
    if partner is None:
        abort(404)
    return partner


@bp.route("/admin/partners/<int:partner_id>/revoke", methods=["GET", "POST"])
@staff_required(*ADMINS)
def admin_partner_revoke(partner_id: int):
    partner = _partner_or_404(partner_id)
    form = RevokePartnerForm()
    if partner.revoked_at is not None:  # a second click, or another admin's
        flash(_("The key of %(name)s is revoked.", name=partner.name))
        return redirect(url_for("office.admin_partners"), code=303)
    if not form.validate_on_submit():
        return render("office/partners_revoke.html", partner=partner, form=form)
    try:
        with transaction():
            revoke_partner(partner, now=auth.now(), staff_id=g.staff.id)
    except PartnerError:  # revoked meanwhile by a concurrent click
        pass
    flash(_("The key of %(name)s is revoked.", name=partner.name))
    return redirect(url_for("office.admin_partners"), code=303)
