"""Who may export which office (issue 12 §6, docs/exports.md): an office
outside the account's region answers 404 and writes no audit row; roles
that do not work tickets answer 403; the form lists exactly the offices
of the account's region."""

from __future__ import annotations

import pytest

from tests.office import export_fixtures as fx
from tests.office.export_fixtures import VILLAGE
from tests.staff import conftest as staff
from tests.staff.conftest import log_in, make_staff, token

clean_limits, clock = staff.clean_limits, staff.clock
BOGOR, BANDUNG = "dinsos-32.01", "dinsos-32.73"
JAKARTA_PUSAT = "dinsos-31.71"


def _client(app, clock, role, **place):
    account = make_staff(app, role, **place)
    client = app.test_client()
    assert log_in(client, account, clock).status_code == 303
    return account, client, token(client, "/office/")


def _both(app, client, csrf, office_code):
    office = fx.office_id(app, office_code)
    decisions = fx.post_decisions(client, csrf, office, "2026-03-01", "2026-03-31")
    musdes = fx.post_musdes(client, csrf, office, VILLAGE, "2026-03-01", "2026-03-31")
    return decisions.status_code, musdes.status_code


@pytest.mark.parametrize(
    ("role", "place", "office", "expected"),
    [
        ("handler", {"office": BOGOR}, BANDUNG, (404, 404)),  # another office
        ("supervisor", {"office": BOGOR}, BANDUNG, (404, 404)),  # a kab/kota head: own only
        ("supervisor", {"office": "prov-31"}, BOGOR, (404, 404)),  # another province
        ("supervisor", {"office": "prov-32"}, JAKARTA_PUSAT, (404, 404)),
        ("operator", {"village": VILLAGE}, BOGOR, (403, 403)),
        ("admin", {"office": "national"}, BOGOR, (403, 403)),
        (
            "field_officer",
            {"office": BOGOR, "districts": (VILLAGE.rsplit(".", 1)[0],)},
            BOGOR,
            (403, 403),
        ),
    ],
)
def test_refused_without_an_audit_row(app, clock, db_clean, role, place, office, expected):
    _, client, csrf = _client(app, clock, role, **place)
    assert _both(app, client, csrf, office) == expected
    assert fx.audit_rows(app) == []


def test_a_forged_office_id_is_404(app, clock, db_clean):
    _, client, csrf = _client(app, clock, "handler", office=BOGOR)
    for raw in ("", "abc", "999999999"):
        response = client.post(
            "/office/exports/decisions",
            data={"decisions-csrf_token": csrf, "decisions-office": raw},
        )
        assert response.status_code == 404
    assert fx.audit_rows(app) == []


@pytest.mark.parametrize(
    ("place", "office"),
    [
        ({"office": BOGOR}, BOGOR),
        ({"office": "prov-32"}, BOGOR),
        ({"office": "prov-32"}, BANDUNG),
        ({"office": "national"}, JAKARTA_PUSAT),
    ],
)
def test_supervisors_export_their_region(app, clock, db_clean, place, office):
    account, client, csrf = _client(app, clock, "supervisor", **place)
    office_id = fx.office_id(app, office)
    response = fx.post_decisions(client, csrf, office_id, "2026-03-01", "2026-03-31")
    assert response.status_code == 200
    assert response.data.startswith(b"reference,kind,")
    assert fx.audit_rows(app) == [
        ("exported", account.id, office_id, "decisions:2026-03-01..2026-03-31")
    ]


def _offered(page: str) -> set[str]:
    import re

    select = re.search(r'<select[^>]*name="decisions-office".*?</select>', page, re.S).group(0)
    return set(re.findall(r">([^<]+)</option>", select))


def test_the_form_offers_the_offices_of_the_region(app, clock, db_clean):
    _, client, _ = _client(app, clock, "handler", office=BOGOR)
    page = client.get("/office/exports")
    assert page.status_code == 200
    assert _offered(page.text) == {"Dinas Sosial Kabupaten Bogor"}
    _, client, _ = _client(app, clock, "supervisor", office="prov-32")
    offered = _offered(client.get("/office/exports").text)
    assert "Dinas Sosial Kabupaten Bogor" in offered and "Dinas Sosial Kota Bandung" in offered
    assert len(offered) == 27  # Jawa Barat's 18 kabupaten and 9 kota
    assert not any("Jakarta" in name for name in offered)
    _, client, _ = _client(app, clock, "supervisor", office="national")
    assert len(_offered(client.get("/office/exports").text)) == 514


def test_the_menu_entry(app, clock, db_clean):
    _, client, _ = _client(app, clock, "handler", office=BOGOR)
    assert 'href="/office/exports"' in client.get("/office/").text
    _, client, _ = _client(app, clock, "operator", village=VILLAGE)
    assert 'href="/office/exports"' not in client.get("/office/").text


def test_the_export_rule_is_the_ticket_rule(app, db_clean):
    """For every account of the permission matrix and every kab/kota office
    of its villages: the office is exportable exactly when the account works
    tickets and ``can_see_ticket`` shows it a ticket routed there."""
    from portal.extensions import db
    from portal.regions.models import Office
    from portal.regions.routing import route_to_office
    from portal.staff.models import StaffUser
    from portal.staff.permissions import can_see_ticket
    from portal.tickets.exports import EXPORT_ROLES, exportable_offices
    from portal.tickets.models import Ticket
    from tests.staff.test_permissions import ACCOUNTS, BANDUNG, BOGOR_A, JAKARTA

    accounts = {name: make_staff(app, role, **place).id for name, (role, place) in ACCOUNTS.items()}
    wrong = []
    with app.app_context():
        offices = {village: route_to_office(village) for village in (BOGOR_A, BANDUNG, JAKARTA)}
        for name, staff_id in accounts.items():
            user = db.session.get(StaffUser, staff_id)
            own = db.session.get(Office, user.office_id) if user.office_id else None
            allowed = {o.id for o in exportable_offices(user, own)}
            for village, office in offices.items():
                ticket = Ticket(office_id=office.id, village_code=village)
                rule = user.role in EXPORT_ROLES and can_see_ticket(user, own, ticket)
                if (office.id in allowed) != rule:
                    wrong.append((name, village))
    assert wrong == []


def test_the_export_modules_use_no_other_modules_private_names():
    """The region rules come from ``permissions``' public names, the render
    lock from ``receipt.render_lock``: no ``from x import _name``, no
    ``module._name``."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "portal" / "tickets"
    for name in ("exports.py", "exports_musdes.py"):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        modules = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, (name, node.module, private)
            named = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            if named and node.value.id in modules and node.attr.startswith("_"):
                raise AssertionError(f"{name}: {node.value.id}.{node.attr}")
