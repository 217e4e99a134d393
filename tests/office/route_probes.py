"""One probe per office route and method: sets the ticket up, makes the
request as one account, and says whether it took effect in the database.

A probe returns ``(response, took_effect, expected_audit)``: for a refused
request ``took_effect`` must be False; ``expected_audit`` is what an allowed
request must have written to the audit log (kind, ticket id, evidence id).
Ticket probes get the ticket's village; the others get None."""

from __future__ import annotations

import datetime as dt
import itertools
import re

from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.tickets.models import Ticket
from tests.office import route_permission_fixtures as fx
from tests.office import route_probes_field as field
from tests.office.admin_probes import PROBES as ADMIN_PROBES
from tests.office.assist_probes import ASSIST_PROBES
from tests.office.offline_probes import OFFLINE_PROBES
from tests.office.partner_probes import PROBES as PARTNER_PROBES

_serial = itertools.count(1)


def _ticket_page(w, client, csrf, account, village):
    ref = w.refs[village]
    fx.reset(w, ref, "submitted")
    response = client.get(f"/office/tickets/{ref}")
    return response, True, [("ticket_opened", fx.ticket_id(w, ref), None)]


def _note(w, client, csrf, account, village):
    ref = w.refs[village]
    fx.reset(w, ref, "in_review")
    before = fx.snapshot(w, ref)
    data = {"csrf_token": csrf, "note": "Catatan uji hak akses.", "version": before["version"]}
    response = client.post(f"/office/tickets/{ref}/note", data=data)
    took = fx.snapshot(w, ref)["events"] == before["events"] + 1
    return response, took, [("note", fx.ticket_id(w, ref), None)]


def _assign(w, client, csrf, account, village):
    ref = w.refs[village]
    fx.reset(w, ref, "submitted")
    version = fx.snapshot(w, ref)["version"]
    data = {"csrf_token": csrf, "version": version, "assignee": str(w.target[village])}
    response = client.post(f"/office/tickets/{ref}/assign", data=data)
    took = fx.snapshot(w, ref)["assignee"] == w.target[village]
    return response, took, [("assigned", fx.ticket_id(w, ref), None)]


def _bulk_assign(w, client, csrf, account, village):
    ref = w.refs[village]
    fx.reset(w, ref, "submitted")
    version = fx.snapshot(w, ref)["version"]  # each checkbox: the row as the queue showed it
    data = {"csrf_token": csrf, "ticket": f"{ref}:{version}", "assignee": str(w.target[village])}
    data["back"] = "/office/"
    response = client.post("/office/assign", data=data)
    took = fx.snapshot(w, ref)["assignee"] == w.target[village]
    return response, took, [("assigned", fx.ticket_id(w, ref), None)]


def _move_page(w, client, csrf, account, village):
    ref = w.refs[village]
    fx.reset(w, ref, "submitted")
    return client.get(f"/office/tickets/{ref}/move/triage"), True, []


def _move(w, client, csrf, account, village):
    ref = w.refs[village]
    fx.reset(w, ref, "submitted")
    data = {"csrf_token": csrf, "version": fx.snapshot(w, ref)["version"]}
    response = client.post(f"/office/tickets/{ref}/move/triage", data=data)
    took = fx.snapshot(w, ref)["status"] == "in_review"
    tid = fx.ticket_id(w, ref)
    # Triage gives an unassigned ticket to whoever took it on, when they work
    # at its office; a province or national supervisor does not become its assignee.
    if fx.staff_office_id(w, account.id) == fx.ticket_office_id(w, ref):
        return response, took, [("moved", tid, None), ("assigned", tid, None)]
    return response, took, [("moved", tid, None)]


def _reply_page(w, client, csrf, account, village):
    ref = w.refs[village]
    fx.reset(w, ref, "needs_info")
    return client.get(f"/office/tickets/{ref}/reply"), True, []


def _reply(w, client, csrf, account, village):
    """A village operator passes on the resident's reply (recorded as assisted)."""
    ref = w.refs[village]
    fx.reset(w, ref, "needs_info")
    data = {"csrf_token": csrf, "action": "send", "key": f"probe-{next(_serial)}"}
    data["text"] = "Balasan warga, diteruskan operator desa."
    response = client.post(f"/office/tickets/{ref}/reply", data=data)
    took = fx.snapshot(w, ref)["status"] == "in_review"
    return response, took, [("moved", fx.ticket_id(w, ref), None)]


def _visit_page(w, client, csrf, account, village):
    ref = w.refs[village]
    fx.reset(w, ref, "field_check")
    return client.get(f"/office/tickets/{ref}/visit"), True, []


def _visit(w, client, csrf, account, village):
    ref = w.refs[village]
    fx.reset(w, ref, "field_check")
    before = fx.snapshot(w, ref)
    page = client.get(f"/office/tickets/{ref}/visit")
    text = page.text if page.status_code == 200 else f'name="version" value="{before["version"]}"'
    data = {"csrf_token": csrf, **fx.visit_form_data(text, account.id, w.clock.now.date())}
    data.setdefault("key", f"probe-{next(_serial)}")
    response = client.post(f"/office/tickets/{ref}/visit", data=data)
    took = fx.snapshot(w, ref)["visits"] == before["visits"] + 1
    return response, took, [("field_visit", fx.ticket_id(w, ref), None)]


def _evidence(w, client, csrf, account, village):
    ref, photo = w.refs[village], w.photo[village]
    response = client.get(f"/office/evidence/{photo}")
    return response, True, [("evidence_opened", fx.ticket_id(w, ref), photo)]


def _thumb(w, client, csrf, account, village):
    ref, photo = w.refs[village], w.photo[village]
    response = client.get(f"/office/evidence/{photo}/thumb")
    return response, True, [("evidence_opened", fx.ticket_id(w, ref), photo)]


def _queue(w, client, csrf, account, village):
    """A ticket is "allowed" when the queue lists it, "hidden" when it does not."""
    ref = w.refs[village]
    fx.reset(w, ref, "submitted")
    response = client.get("/office/")
    if response.status_code == 303 and response.headers["Location"].endswith("/office/visits"):
        response.status_code = 404  # a field officer's /office/ is their visits: not listed
    if response.status_code == 200 and ref not in response.text:
        response.status_code = 404  # for the matrix: not shown to this account
    return response, True, None


def _claim(w, client, csrf, account, village):
    for ref in w.refs.values():
        fx.reset(w, ref, "submitted")
    before = fx.all_assignees(w)
    response = client.post("/office/claim-next", data={"csrf_token": csrf})
    after = fx.all_assignees(w)
    claimed = [ref for ref in after if after[ref] != before[ref]]
    return response, claimed, None  # checked against CLAIMS by the matrix


def _templates(w, client, csrf, account, village):
    return client.get("/office/templates"), True, []


def _new_template_page(w, client, csrf, account, village):
    return client.get("/office/templates/new"), True, []


def _new_template(w, client, csrf, account, village):
    title = f"Uji hak akses {next(_serial)}"
    data = {"csrf_token": csrf, "purpose": "needs_info", "code": f"uji_{next(_serial)}"}
    data.update(lang="id", title=title, body="Mohon lengkapi berkas {reference}.")
    response = client.post("/office/templates/new", data=data)
    took = any(row[2] == title for row in fx.templates(w))
    return response, took, None


def _template_page(w, client, csrf, account, village):
    fx.drop_overrides(w)  # another account's copy would hide the default from its offices
    return client.get(f"/office/templates/{w.template_id}"), True, []


def _template(w, client, csrf, account, village):
    fx.drop_overrides(w)
    title = f"Uji ubah {next(_serial)}"
    data = {"csrf_token": csrf, "title": title, "body": "Mohon lengkapi berkas {reference}."}
    # The edit form's fingerprint of the row as it was opened (a save based on
    # an older copy is refused); an account that may not open it sends none.
    page = client.get(f"/office/templates/{w.template_id}").text
    seen = re.search(r'name="seen" type="hidden" value="([^"]*)"', page)
    if seen:
        data["seen"] = seen.group(1)
    response = client.post(f"/office/templates/{w.template_id}", data=data)
    took = any(row[2] == title for row in fx.templates(w))
    return response, took, None


def _exports_page(w, client, csrf, account, village):
    return client.get("/office/exports"), True, []


def _export_decisions(w, client, csrf, account, village):
    """The CSV of the office the village's ticket is routed to."""
    office = fx.ticket_office_id(w, w.refs[village])
    data = {"decisions-csrf_token": csrf, "decisions-office": str(office)}
    data.update({"decisions-start": "2026-03-01", "decisions-end": "2026-03-31"})
    response = client.post("/office/exports/decisions", data=data)
    took = response.status_code == 200 and response.data.startswith(b"reference,kind,")
    return response, took, [("exported", None, None)]


def _export_musdes(w, client, csrf, account, village):
    """The village meeting list of the ticket's village and office."""
    office = fx.ticket_office_id(w, w.refs[village])
    data = {"musdes-csrf_token": csrf, "musdes-office": str(office), "musdes-village": village}
    data.update({"musdes-start": "2026-03-01", "musdes-end": "2026-03-31"})
    response = client.post("/office/exports/musdes", data=data)
    took = response.status_code == 200 and response.data.startswith(b"%PDF-")
    return response, took, [("exported", None, None)]


@fx.in_ctx
def _escalate(w, reference: str, level: int) -> None:
    """Set-up: the ticket overdue since 1 June 2026 at ``level`` (0: as it was)."""
    with transaction():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        ticket.escalation_level = level
        ticket.due_next = dt.date(2026, 6, 1) if level else ticket.due_triage


def _listed(response, ref: str):
    if response.status_code == 200 and f"/office/tickets/{ref}" not in response.text:
        response.status_code = 404  # for the matrix: not shown to this account
    return response


def _escalated(w, client, csrf, account, village):
    """Level 2, so the national office's default view lists it too."""
    ref = w.refs[village]
    fx.reset(w, ref, "in_review")
    _escalate(w, ref, 2)
    try:
        response = _listed(client.get("/office/escalated"), ref)
    finally:
        _escalate(w, ref, 0)
    return response, True, []


def _village(w, client, csrf, account, village):
    ref = w.refs[village]
    fx.reset(w, ref, "submitted")
    return _listed(client.get("/office/village"), ref), True, []


def _office_code(w, village) -> str:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.regions.models import Office

    office_id = fx.ticket_office_id(w, w.refs[village])
    with w.app.app_context():
        return db.session.scalar(select(Office.code).where(Office.id == office_id))


def _performance(w, client, csrf, account, village):
    response = client.get("/office/performance")
    return response, b"perf-table" in response.data, []


def _performance_csv(w, client, csrf, account, village):
    response = client.get("/office/performance.csv")
    return response, response.mimetype == "text/csv", []


def _performance_office(w, client, csrf, account, village):
    """Allowed: the page of the ticket's office, with its code in the table."""
    code = _office_code(w, village)
    response = client.get(f"/office/performance/{code}")
    return response, f"<td>{code}</td>" in response.text, []


def _performance_office_csv(w, client, csrf, account, village):
    code = _office_code(w, village)
    response = client.get(f"/office/performance/{code}.csv")
    return response, response.mimetype == "text/csv" and f",{code}," in response.text, []


PROBES = {
    ("GET", "/office/"): _queue,
    ("POST", "/office/claim-next"): _claim,
    ("POST", "/office/assign"): _bulk_assign,
    ("GET", "/office/tickets/<reference>"): _ticket_page,
    ("POST", "/office/tickets/<reference>/note"): _note,
    ("POST", "/office/tickets/<reference>/assign"): _assign,
    ("GET", "/office/tickets/<reference>/move/<name>"): _move_page,
    ("POST", "/office/tickets/<reference>/move/<name>"): _move,
    ("GET", "/office/tickets/<reference>/reply"): _reply_page,
    ("POST", "/office/tickets/<reference>/reply"): _reply,
    ("GET", "/office/tickets/<reference>/visit"): _visit_page,
    ("POST", "/office/tickets/<reference>/visit"): _visit,
    ("GET", "/office/evidence/<int:evidence_id>"): _evidence,
    ("GET", "/office/evidence/<int:evidence_id>/thumb"): _thumb,
    ("GET", "/office/templates"): _templates,
    ("GET", "/office/templates/new"): _new_template_page,
    ("POST", "/office/templates/new"): _new_template,
    ("GET", "/office/templates/<int:template_id>"): _template_page,
    ("POST", "/office/templates/<int:template_id>"): _template,
    ("POST", "/office/tickets/<reference>/field-officer"): field.assign_probe,
    ("GET", "/office/visits"): field.list_probe,
    ("GET", "/office/visits/<reference>"): field.page_probe,
    ("GET", "/office/visits/<reference>/record"): field.record_page_probe,
    ("POST", "/office/visits/<reference>/record"): field.record_probe,
    ("POST", "/office/exports/decisions"): _export_decisions,
    ("POST", "/office/exports/musdes"): _export_musdes,
    ("GET", "/office/exports"): _exports_page,
    ("GET", "/office/escalated"): _escalated,
    ("GET", "/office/village"): _village,
    **ADMIN_PROBES,
    **PARTNER_PROBES,
    ("GET", "/office/performance/<code>"): _performance_office,
    ("GET", "/office/performance/<code>.csv"): _performance_office_csv,
    ("GET", "/office/performance"): _performance,
    ("GET", "/office/performance.csv"): _performance_csv,
    **ASSIST_PROBES,
    **OFFLINE_PROBES,
}
