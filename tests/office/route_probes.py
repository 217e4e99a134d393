"""One probe per office route and method: sets the ticket up, makes the
request as one account, and says whether it took effect in the database.

A probe returns ``(response, took_effect, expected_audit)``: for a refused
request ``took_effect`` must be False; ``expected_audit`` is what an allowed
request must have written to the audit log (kind, ticket id, evidence id).
Ticket probes get the ticket's village; the others get None."""

from __future__ import annotations

import itertools
import re

from tests.office import route_permission_fixtures as fx
from tests.office.assist_probes import ASSIST_PROBES

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
    **ASSIST_PROBES,
}
