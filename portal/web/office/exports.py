"""``/office/exports``: the decisions CSV for the registry update batch and
the village meeting (Musdes/Muskel) list as a PDF (``docs/exports.md``).

Who: handlers and kab/kota supervisors for their own office, province
supervisors for the kab/kota offices of their province, the national
office for all (``exports.office_scope``); an office outside that answers
404, as a ticket outside the region does, and writes no audit row.

Each download is one audit row (``exported``, with what left the office in
its detail: ``decisions:<from>..<to>`` or ``musdes:<village code>:<from>..<to>``)
committed before the first byte goes out: the CSV streams
afterwards, the PDF is rendered inside the transaction that writes the row.
A second click downloads again and is audited again: each download is data
leaving the office.
"""

from __future__ import annotations

from babel.dates import format_date
from flask import (
    Response,
    abort,
    current_app,
    g,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forms.exports import DecisionsForm, MusdesForm
from portal.audit.log import record
from portal.db import transaction
from portal.i18n import current_lang
from portal.tickets import exports, exports_musdes, sla
from portal.tickets.labels import OFFICE_STATUS_LABELS
from portal.tickets.receipt import KIND_LABELS
from portal.web.office import auth, bp, nav
from portal.web.office.auth import staff_required
from portal.web.office.visit_labels import RECOMMENDATION_LABELS
from portal.web.public.ticket_labels import SUBKIND_LABELS

ROLES = exports.EXPORT_ROLES
nav.register("office.exports", _l("Exports"), ROLES, order=50)

DECISION_LABELS = {"accepted": _l("Accepted"), "rejected": _l("Rejected")}
UNDER_REVIEW = _l("Under review")


@bp.get("/exports", endpoint="exports")
@staff_required(*ROLES)
def exports_page():
    return _page(_forms())


@bp.post("/exports/decisions")
@staff_required(*ROLES)
def export_decisions():
    office = _office_or_404("decisions")
    forms = _forms(posted="decisions")
    form = forms["decisions"]
    if not form.validate_on_submit():
        return _page(forms, 400)
    period = form.period()
    with transaction():
        detail = exports.decisions_audit_detail(period)
        record("exported", staff_id=g.staff.id, office_id=office.id, detail=detail)
    chunks = exports.decisions_csv(office.id, period, current_app.extensions["keyring"])
    response = Response(
        stream_with_context(chunk.encode("utf-8") for chunk in chunks),
        mimetype="text/csv",
    )
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    return _download(response, exports.decisions_filename(office, period))


@bp.post("/exports/musdes")
@staff_required(*ROLES)
def export_musdes():
    office = _office_or_404("musdes")
    forms = _forms(posted="musdes")
    form = forms["musdes"]
    valid = form.validate_on_submit()
    village = exports_musdes.village_in_office(form.village.data or "", office.region_code)
    if valid and village is None:
        form.village.errors = [_("This village is not in the area of the chosen office")]
        valid = False
    if not valid:
        return _page(forms, 400)
    period = form.period()
    keyring = current_app.extensions["keyring"]
    with transaction():
        rows = exports_musdes.musdes_rows(office.id, village.code, period, keyring)
        with force_locale(current_lang()):
            pdf = exports_musdes.render_musdes(_musdes_context(office, village, period, rows))
        detail = exports_musdes.musdes_audit_detail(village.code, period)
        record("exported", staff_id=g.staff.id, office_id=office.id, detail=detail)
    response = Response(pdf, mimetype="application/pdf")
    return _download(response, exports_musdes.musdes_filename(village.code, period))


def _office_or_404(prefix: str):
    """The posted office when the account may export it; 404 for any other."""
    raw = request.form.get(f"{prefix}-office", "")
    office = None
    if raw.isdigit():
        office = exports.exportable_office(g.staff, g.staff_office, int(raw))
    if office is None:
        auth.log_denied("not_visible")
        abort(404)
    return office


def _forms(posted: str | None = None) -> dict:
    offices = exports.exportable_offices(g.staff, g.staff_office)
    choices = [(str(o.id), o.name) for o in offices]
    forms = {}
    for prefix, cls in (("decisions", DecisionsForm), ("musdes", MusdesForm)):
        # Only the posted form reads the request; the other starts empty.
        form = cls(prefix=prefix) if posted == prefix else cls(prefix=prefix, formdata=None)
        form.office.choices = choices
        if form.office.data is None and len(choices) == 1:
            form.office.data = choices[0][0]
        forms[prefix] = form
    return forms


def _page(forms: dict, status: int = 200):
    failed = next((f for f in forms.values() if f.errors), None)
    return (
        render_template("office/exports/index.html", forms=forms, failed=failed),
        status,
    )


def _download(response: Response, filename: str) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _musdes_context(office, village, period, rows) -> dict:
    lang = current_lang()

    def day(value) -> str:
        return format_date(value, "d MMMM y", locale=lang)

    def recommendation(rec) -> str:
        if rec.source == "decision":
            return str(DECISION_LABELS.get(rec.code, rec.code))
        if rec.source == "visit":
            return str(RECOMMENDATION_LABELS.get(rec.code, rec.code))
        return str(UNDER_REVIEW)

    return {
        "lang": lang,
        "office_name": office.name,
        "village_name": village.name,
        "village_path": exports_musdes.village_path(village),
        "village_code": village.code,
        "start": day(period.start),
        "end": day(period.end),
        "today": day(sla.local_date(auth.now())),
        "rows": [
            {
                "reference": r.reference,
                "name": r.name,
                "address": r.address,
                "kind": str(KIND_LABELS[r.kind]),
                "subkind": str(SUBKIND_LABELS.get(r.kind, {}).get(r.subkind, r.subkind)),
                "status": str(OFFICE_STATUS_LABELS[r.status]),
                "recommendation": recommendation(r.recommendation),
                "sent_on": day(r.sent_on),
            }
            for r in rows
        ],
    }
