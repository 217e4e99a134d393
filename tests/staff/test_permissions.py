"""Who sees which ticket (SECURITY.md AU4) and that every /office route is
guarded (AU6)."""

from __future__ import annotations

import pytest
from lokal import wilayah
from sqlalchemy import select

from portal.extensions import db
from portal.regions.models import Office
from portal.staff.models import StaffUser
from portal.staff.permissions import can_see_evidence, can_see_ticket, ticket_filter
from portal.tickets.models import Ticket
from tests.factories import VILLAGE
from tests.staff.conftest import make_staff
from tests.tickets import answers, submit

pytestmark = pytest.mark.usefixtures("db_clean")


def villages_in(regency: str, n: int) -> list[str]:
    return sorted(code for code in wilayah._desa() if code.startswith(regency + "."))[:n]


BOGOR_A, BOGOR_B = VILLAGE, next(v for v in villages_in("32.01", 5) if v != VILLAGE)
BANDUNG = villages_in("32.73", 1)[0]  # Kota Bandung: Jawa Barat, another Dinas Sosial
JAKARTA = villages_in("31.71", 1)[0]  # Jakarta Pusat: another province

#: Which ticket villages each account may see: the rule, written out.
EXPECTED = {
    "handler Bogor": {BOGOR_A, BOGOR_B},
    "handler Bandung": {BANDUNG},
    "operator Bogor A": {BOGOR_A},
    "operator Bogor B": {BOGOR_B},
    "supervisor Jawa Barat": {BOGOR_A, BOGOR_B, BANDUNG},
    "supervisor Jakarta": {JAKARTA},
    "supervisor national": {BOGOR_A, BOGOR_B, BANDUNG, JAKARTA},
    "supervisor Dinas Sosial Bogor": {BOGOR_A, BOGOR_B},
    "supervisor Dinas Sosial Bandung": {BANDUNG},
    "admin": set(),
    # Field officers see no ticket through the queue or the ticket page, only
    # a visit assigned to them (``can_visit``: tests/office/test_field_officer*).
    "field officer Bogor": set(),
}
ACCOUNTS = {
    "handler Bogor": ("handler", {"office": "dinsos-32.01"}),
    "handler Bandung": ("handler", {"office": "dinsos-32.73"}),
    "operator Bogor A": ("operator", {"village": BOGOR_A}),
    "operator Bogor B": ("operator", {"village": BOGOR_B}),
    "supervisor Jawa Barat": ("supervisor", {"office": "prov-32"}),
    "supervisor Jakarta": ("supervisor", {"office": "prov-31"}),
    "supervisor national": ("supervisor", {"office": "national"}),
    "supervisor Dinas Sosial Bogor": ("supervisor", {"office": "dinsos-32.01"}),
    "supervisor Dinas Sosial Bandung": ("supervisor", {"office": "dinsos-32.73"}),
    "admin": ("admin", {"office": "national"}),
    "field officer Bogor": (
        "field_officer",
        {"office": "dinsos-32.01", "districts": (BOGOR_A.rsplit(".", 1)[0],)},
    ),
}


def test_the_matrix_of_role_region_and_ticket(app, app_ctx, keyring):
    tickets = {
        village: submit(keyring, answers(village_code=village)).ticket_id
        for village in (BOGOR_A, BOGOR_B, BANDUNG, JAKARTA)
    }
    for name, (role, place) in ACCOUNTS.items():
        account = make_staff(app, role, **place)
        user = db.session.get(StaffUser, account.id)
        office = db.session.get(Office, user.office_id) if user.office_id else None
        for village, ticket_id in tickets.items():
            ticket = db.session.get(Ticket, ticket_id)
            allowed = village in EXPECTED[name]
            assert can_see_ticket(user, office, ticket) is allowed, (name, village)
            assert can_see_evidence(user, office, ticket) is allowed, (name, village)
        listed = db.session.scalars(
            select(Ticket.village_code).where(ticket_filter(user, office))
        ).all()
        assert set(listed) == EXPECTED[name], name


def test_confidential_objection_files_stay_away_from_other_operators(app, app_ctx, keyring):
    ticket_id = submit(
        keyring,
        answers(
            kind="objection",
            subkind="ineligible_recipient",
            village_code=BOGOR_A,
            reporter_confidential=True,
            reason_codes=("not_poor",),
        ),
    ).ticket_id
    ticket = db.session.get(Ticket, ticket_id)
    operator = db.session.get(StaffUser, make_staff(app, "operator", village=BOGOR_A).id)
    handler = db.session.get(StaffUser, make_staff(app, "handler", office="dinsos-32.01").id)
    bogor = db.session.scalar(select(Office).where(Office.code == "dinsos-32.01"))
    assert can_see_ticket(operator, None, ticket)
    assert not can_see_evidence(operator, None, ticket)
    assert can_see_evidence(handler, bogor, ticket)
    ticket.submitted_by_staff_id = operator.id  # the operator sent it for a resident
    assert can_see_evidence(operator, None, ticket)


def undecorated_office_routes(app) -> list[str]:
    """AU6: the /office routes whose view carries no permission decorator."""
    return [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/office")
        and not getattr(app.view_functions[rule.endpoint], "office_permission", None)
    ]


def test_every_office_route_carries_a_permission_decorator(app):
    """AU6: walks the URL map."""
    office_rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/office")]
    assert len(office_rules) >= 5
    assert undecorated_office_routes(app) == []
    public = {
        r.rule
        for r in office_rules
        if app.view_functions[r.endpoint].office_permission == ("public",)
    }
    assert public == {
        "/office/login",
        "/office/login/code",
        "/office/logout",
        # issue 12 §7: the invitation link is the credential
        "/office/invite/<token>",
        "/office/invite/<token>/app",
    }


def test_the_walker_finds_an_office_route_without_a_decorator(instance_dir):
    """The walker itself can fail: a fresh app with one undecorated office route."""
    from portal import create_app

    fresh = create_app({"ENV_NAME": "testing"})
    fresh.add_url_rule("/office/forgotten", "forgotten", lambda: "open to anyone")
    assert undecorated_office_routes(fresh) == ["/office/forgotten"]
