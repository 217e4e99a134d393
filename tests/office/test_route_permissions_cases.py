"""The cases issue 10 names on top of the route matrix
(test_route_permissions.py): confidential reporters and operators, another
office's ticket looking exactly like no ticket, and the matrix failing when
a permission check or decorator is weakened."""

from __future__ import annotations

import re

from tests.office import route_permission_fixtures as fx
from tests.office.route_permission_fixtures import world_fixture  # noqa: F401 - fixture
from tests.office.test_route_permissions import F, H, run
from tests.staff.conftest import clean_limits  # noqa: F401 - autouse fixture
from tests.staff.test_permissions import JAKARTA


def test_an_operator_never_sees_a_confidential_reporter_nor_the_files(world, keyring):
    w = world
    reference, photo = fx.confidential_report(w, keyring)
    ticket_id = fx.ticket_id(w, reference)
    operator, account, _ = w.clients["operator Bogor A"]
    before = len(fx.audit_of(w, account.id))
    page = operator.get(f"/office/tickets/{reference}")
    assert page.status_code == 200
    assert fx.REPORTER_CONTACT not in page.text
    assert f"/office/evidence/{photo}" not in page.text
    assert operator.get(f"/office/evidence/{photo}").status_code == 404
    assert operator.get(f"/office/evidence/{photo}/thumb").status_code == 404
    assert fx.audit_of(w, account.id)[before:] == [("ticket_opened", ticket_id, None)]

    handler, account, _ = w.clients["handler Bogor"]
    before = len(fx.audit_of(w, account.id))
    page = handler.get(f"/office/tickets/{reference}")
    assert fx.REPORTER_CONTACT in page.text
    assert f"/office/evidence/{photo}/thumb" in page.text
    assert handler.get(f"/office/evidence/{photo}").status_code == 200
    assert handler.get(f"/office/evidence/{photo}/thumb").status_code == 200
    assert fx.audit_of(w, account.id)[before:] == [
        ("ticket_opened", ticket_id, None),
        ("evidence_opened", ticket_id, photo),
        ("evidence_opened", ticket_id, photo),
    ]


def _same_page(text: str) -> str:
    """The page without what changes on every request (nonces, tokens)."""
    return re.sub(r'(nonce|value)="[^"]*"', "", text)


def test_another_offices_ticket_is_the_same_404_as_no_ticket(world):
    w = world
    client, account, csrf = w.clients["handler Bogor"]
    theirs, photo = w.refs[JAKARTA], w.photo[JAKARTA]
    fx.reset(w, theirs, "field_check")
    before = fx.snapshot(w, theirs), len(fx.audit_of(w, account.id))
    form = {"csrf_token": csrf, "version": before[0]["version"], "note": "x", "key": "k"}
    requests = [
        ("get", "/office/tickets/{}"),
        ("post", "/office/tickets/{}/note"),
        ("post", "/office/tickets/{}/assign"),
        ("get", "/office/tickets/{}/move/triage"),
        ("post", "/office/tickets/{}/move/triage"),
        ("get", "/office/tickets/{}/visit"),
        ("post", "/office/tickets/{}/visit"),
    ]
    for method, path in requests:
        seen = getattr(client, method)(path.format(theirs), data=form)
        none = getattr(client, method)(path.format(fx.NO_SUCH), data=form)
        assert (seen.status_code, none.status_code) == (404, 404), path
        assert _same_page(seen.text) == _same_page(none.text), path
    for path in ("/office/evidence/{}", "/office/evidence/{}/thumb"):
        seen, none = client.get(path.format(photo)), client.get(path.format(10**9))
        assert (seen.status_code, none.status_code) == (404, 404), path
        assert _same_page(seen.text) == _same_page(none.text), path
    version = fx.snapshot(w, theirs)["version"]
    bulk = client.post("/office/assign", data={"csrf_token": csrf, "ticket": f"{theirs}:{version}"})
    assert bulk.status_code == 404
    assert (fx.snapshot(w, theirs), len(fx.audit_of(w, account.id))) == before


def test_the_matrix_fails_when_can_see_ticket_says_yes(world, monkeypatch):
    from portal.web.office import tickets

    monkeypatch.setattr(tickets, "can_see_ticket", lambda *args: True)
    route = ("GET", "/office/tickets/<reference>")
    wrong = run(world, routes={route}, accounts=["handler Bandung"])
    assert {(key, village, expected) for key, _, village, expected, _ in wrong} == {
        (route, village, H) for village in fx.VILLAGES if village != fx.BANDUNG
    }


def test_the_matrix_fails_when_a_role_restriction_is_dropped(app, world, monkeypatch):
    from portal.web.office.auth import staff_required

    for endpoint in ("office.reply_templates", "office.ticket_note"):
        weakened = staff_required()(app.view_functions[endpoint].__wrapped__)
        monkeypatch.setitem(app.view_functions, endpoint, weakened)
    routes = {("GET", "/office/templates"), ("POST", "/office/tickets/<reference>/note")}
    wrong = run(world, routes=routes, accounts=["handler Bogor", "operator Bogor A"])
    templates, note = sorted(routes)
    on_templates = [row for row in wrong if row[0] == templates]
    assert {(key, name, expected, got) for key, name, _, expected, got in on_templates} == {
        (templates, "handler Bogor", F, "allowed"),
    }  # an operator has no office: ``scope()`` still answers 403
    # the operator's note is refused further in (400, 404), no longer with 403
    on_note = [row for row in wrong if row[0] == note]
    assert {(key, name, expected) for key, name, _, expected, _ in on_note} == {
        (note, "operator Bogor A", F)
    }
