"""``GET /office/village``: a village operator's list of their village's
tickets (``portal.tickets.village_list``): first those waiting for the
resident's reply, with the page to pass a reply on, then the others."""

from __future__ import annotations

from flask import g, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from forms.village import VillagePageForm
from portal.extensions import db
from portal.regions.models import Region
from portal.tickets import sla, village_list
from portal.tickets.workflow import public_label
from portal.web.office import auth, bp, nav
from portal.web.office.auth import staff_required
from portal.web.office.queue import ticket_url
from portal.web.public.ticket_labels import KIND_TITLES

ROLES = ("operator",)

nav.register("office.village", _l("My village"), ROLES, order=15)


@bp.get("/village", endpoint="village")
@staff_required(*ROLES)
def village_page():
    staff = g.staff
    form = VillagePageForm(request.args)
    valid = form.validate()
    today = sla.local_date(auth.now())
    listing = village_list.fetch(
        staff, g.staff_office, today, page=(form.page.data or 1) if valid else 1
    )
    village = db.session.get(Region, staff.village_code) if staff.village_code else None
    return render_template(
        "office/village.html",
        form=form,
        village=village,
        listing=listing,
        today=today,
        public_label=public_label,
        kind_titles=KIND_TITLES,
        ticket_url=ticket_url,
        page_url=lambda n: url_for("office.village", page=n),
    ), (200 if valid else 400)
