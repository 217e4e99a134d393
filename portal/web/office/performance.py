"""``/office/performance``: office performance (issue 12 §5) for supervisors
and the office itself, with a drill-down (``/office/performance/<code>``)
within the viewer's region and a CSV of every table. The figures come from
``performance_figures`` (``flask tickets performance-refresh``); only the
per-handler workload of one office is read live. Who sees what:
``portal.tickets.performance_read``."""

from __future__ import annotations

import datetime as dt

from flask import Response, abort, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from portal.tickets import performance_read, sla
from portal.web.office import auth, bp, nav
from portal.web.office.auth import staff_required

ROLES = ("handler", "supervisor")
#: Older figures get a warning: the cron job (every 15 minutes) has stopped.
STALE_AFTER = dt.timedelta(hours=1)

nav.register("office.performance", _l("Performance"), ROLES, order=40)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite


def _target(code: str | None):
    """The office whose figures to show: the viewer's own, or ``code`` within
    their region (else 404, as a ticket outside it)."""
    viewer = g.staff_office
    if viewer is None:
        abort(404)
    if code is None:
        return viewer
    target = performance_read.office_by_code(code)
    if target is None or not performance_read.may_open(viewer, target, g.staff.role):
        auth.log_denied("not_visible")
        abort(404)
    return target


def _with_parts() -> bool:
    """Only a supervisor sees the rows of the offices under their own: a
    handler sees their own office only (``performance_read``)."""
    return g.staff.role == "supervisor"


def _page(code: str | None):
    office = _target(code)
    rep = performance_read.report(office, with_parts=_with_parts())
    now = auth.now()
    today = sla.local_date(now)
    workload = performance_read.workload(office.id, today) if office.level == "regency" else None
    stale = rep.computed_at is not None and now - sla.as_utc(_aware(rep.computed_at)) > STALE_AFTER
    csv_url = (
        url_for("office.performance_csv")
        if code is None
        else url_for("office.performance_office_csv", code=office.code)
    )
    return render_template(
        "office/performance/page.html",
        rep=rep,
        lines=[rep.total, *rep.parts],
        table=performance_read.table([rep.total, *rep.parts]),
        keys=[key for key, _, _ in performance_read.COLUMNS],
        workload=workload,
        workload_table=performance_read.workload_table(workload) if workload is not None else None,
        csv_url=csv_url,
        may_open=lambda line: line.code != office.code,
        as_of=sla.local_date(rep.computed_at) if rep.computed_at else None,
        as_of_time=(
            rep.computed_at.astimezone(sla.WIB).strftime("%H:%M") if rep.computed_at else None
        ),
        home=code is None,
        stale=stale,
    )


def _csv(code: str | None):
    office = _target(code)
    if request.args.get("table") == "handlers":
        if office.level != "regency":
            abort(404)
        today = sla.local_date(auth.now())
        rows = performance_read.workload_table(performance_read.workload(office.id, today))
        name = f"performance-{office.code}-handlers.csv"
    else:
        rep = performance_read.report(office, with_parts=_with_parts())
        rows = performance_read.table([rep.total, *rep.parts])
        name = f"performance-{office.code}.csv"
    return Response(
        performance_read.as_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/performance", endpoint="performance")
@staff_required(*ROLES)
def performance_page():
    return _page(None)


@bp.get("/performance.csv", endpoint="performance_csv")
@staff_required(*ROLES)
def performance_csv():
    return _csv(None)


@bp.get("/performance/<code>", endpoint="performance_office")
@staff_required(*ROLES)
def performance_office(code: str):
    return _page(code)


@bp.get("/performance/<code>.csv", endpoint="performance_office_csv")
@staff_required(*ROLES)
def performance_office_csv(code: str):
    return _csv(code)
