"""SECURITY.md AU4 through HTTP: every office route and action, as every
role and region, on a ticket inside and outside the account's region.

The table is written out by hand. Each route's expected class:
``allowed`` (200/303 and, for a POST, the database changed), ``forbidden``
(403), ``hidden`` (404, as for a ticket that does not exist), ``login``
(302 to the login page when logged out); a refused request changes nothing
and writes no audit row. A route under /office missing from the table
fails the test: a new route cannot slip past the matrix."""

from __future__ import annotations

from types import SimpleNamespace

from tests.office import route_permission_fixtures as fx
from tests.office.route_permission_fixtures import world_fixture  # noqa: F401 - fixture
from tests.office.route_probes import PROBES
from tests.staff.conftest import clean_limits, token  # noqa: F401 - autouse fixture
from tests.staff.test_permissions import ACCOUNTS, BANDUNG, BOGOR_A, BOGOR_B, EXPECTED

A, F, H, LOGIN = "allowed", "forbidden", "hidden", "login"

#: The login pages: anyone may open them (checked in tests/staff/test_login.py).
PUBLIC = {
    ("GET", "/office/login"),
    ("POST", "/office/login"),
    ("GET", "/office/login/code"),
    ("POST", "/office/login/code"),
    ("POST", "/office/logout"),
    # Staff administration: the invitation link is the credential (tests/staff/test_invitation.py).
    ("GET", "/office/invite/<token>"),
    ("POST", "/office/invite/<token>"),
    ("GET", "/office/invite/<token>/app"),
    ("POST", "/office/invite/<token>/app"),
}

#: Routes about one ticket: role -> (ticket in the region, ticket outside it).
TICKET_ROUTES = {
    ("GET", "/office/"): {  # "allowed": listed in the queue; "hidden": not listed
        "handler": (A, H), "supervisor": (A, H), "operator": (A, H), "admin": (H, H),
        "field_officer": (H, H),
    },
    ("POST", "/office/assign"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (F, F), "admin": (F, F),
        "field_officer": (F, F),
    },
    ("GET", "/office/tickets/<reference>"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (A, H), "admin": (F, F),
        "field_officer": (F, F),
    },
    ("POST", "/office/tickets/<reference>/note"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (F, F), "admin": (F, F),
        "field_officer": (F, F),
    },
    ("POST", "/office/tickets/<reference>/assign"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (F, F), "admin": (F, F),
        "field_officer": (F, F),
    },
    ("GET", "/office/tickets/<reference>/move/<name>"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (F, F), "admin": (F, F),
        "field_officer": (F, F),
    },
    ("POST", "/office/tickets/<reference>/move/<name>"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (F, F), "admin": (F, F),
        "field_officer": (F, F),
    },
    # A village operator passes on a resident's reply; the office never replies for them.
    ("GET", "/office/tickets/<reference>/reply"): {
        "handler": (F, F), "supervisor": (F, F), "operator": (A, H), "admin": (F, F),
        "field_officer": (F, F),
    },
    ("POST", "/office/tickets/<reference>/reply"): {
        "handler": (F, F), "supervisor": (F, F), "operator": (A, H), "admin": (F, F),
        "field_officer": (F, F),
    },
    ("GET", "/office/tickets/<reference>/visit"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (F, F), "admin": (F, F),
        "field_officer": (F, F),
    },
    ("POST", "/office/tickets/<reference>/visit"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (F, F), "admin": (F, F),
        "field_officer": (F, F),
    },
    ("GET", "/office/evidence/<int:evidence_id>"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (A, H), "admin": (F, F),
        "field_officer": (F, F),
    },
    ("GET", "/office/evidence/<int:evidence_id>/thumb"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (A, H), "admin": (F, F),
        "field_officer": (F, F),
    },
    # Field officers (issue 12 §3): sending one to a ticket in the field check.
    ("POST", "/office/tickets/<reference>/field-officer"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (F, F), "admin": (F, F),
        "field_officer": (F, F),
    },
    # Exports (issue 12 §6): of the office the ticket is routed to (its village's list).
    ("POST", "/office/exports/decisions"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (F, F), "admin": (F, F),
        "field_officer": (F, F),
    },
    ("POST", "/office/exports/musdes"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (F, F), "admin": (F, F),
        "field_officer": (F, F),
    },
    # Issue 12 §4: "allowed" = an escalated (level 2) ticket is listed, "hidden" = not.
    ("GET", "/office/escalated"): {
        "handler": (F, F), "supervisor": (A, H), "operator": (F, F), "admin": (F, F),
        "field_officer": (F, F),
    },
    # Issue 12 §2: "allowed" = the village's ticket is listed, "hidden" = not.
    ("GET", "/office/village"): {
        "handler": (F, F), "supervisor": (F, F), "operator": (A, H), "admin": (F, F),
        "field_officer": (F, F),
    },
    # Staff administration: an account (the village's operator) as a ticket of that
    # village: a supervisor reaches the accounts of their region, an admin every account.
    ("GET", "/office/admin/<int:staff_id>"): {
        "handler": (F, F), "supervisor": (A, H), "operator": (F, F), "admin": (A, A),
        "field_officer": (F, F),
    },
    ("GET", "/office/admin/<int:staff_id>/change"): {
        "handler": (F, F), "supervisor": (A, H), "operator": (F, F), "admin": (A, A),
        "field_officer": (F, F),
    },
    ("POST", "/office/admin/<int:staff_id>/change"): {
        "handler": (F, F), "supervisor": (A, H), "operator": (F, F), "admin": (A, A),
        "field_officer": (F, F),
    },
    ("POST", "/office/admin/<int:staff_id>/<action>"): {
        "handler": (F, F), "supervisor": (A, H), "operator": (F, F), "admin": (A, A),
        "field_officer": (F, F),
    },
    # Office performance (issue 12 §5): the figures of the ticket's office,
    # for the staff whose region holds it.
    ("GET", "/office/performance/<code>"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (F, F), "admin": (F, F),
        "field_officer": (F, F),
    },
    ("GET", "/office/performance/<code>.csv"): {
        "handler": (A, H), "supervisor": (A, H), "operator": (F, F), "admin": (F, F),
        "field_officer": (F, F),
    },
}  # fmt: skip

#: Routes about no one ticket: role -> class.
OTHER_ROUTES = {
    ("POST", "/office/claim-next"): {
        "handler": A, "supervisor": A, "operator": F, "admin": F, "field_officer": F,
    },
    ("GET", "/office/templates"): {
        "handler": F, "supervisor": A, "operator": F, "admin": A, "field_officer": F,
    },
    ("GET", "/office/templates/new"): {
        "handler": F, "supervisor": A, "operator": F, "admin": A, "field_officer": F,
    },
    ("POST", "/office/templates/new"): {
        "handler": F, "supervisor": A, "operator": F, "admin": A, "field_officer": F,
    },
    ("GET", "/office/templates/<int:template_id>"): {
        "handler": F, "supervisor": A, "operator": F, "admin": A,
        "field_officer": F,
    },
    ("POST", "/office/templates/<int:template_id>"): {
        "handler": F, "supervisor": A, "operator": F, "admin": A,
        "field_officer": F,
    },
    # A field officer's own visits (issue 12 §3). The probes send "field officer
    # Bogor" to the Bogor A ticket first: "allowed" for them only while it is
    # assigned (the probe also checks the same page is 404 before, and after a
    # record); every other role is refused whatever is assigned.
    ("GET", "/office/visits"): {
        "handler": F, "supervisor": F, "operator": F, "admin": F, "field_officer": A,
    },
    ("GET", "/office/visits/<reference>"): {
        "handler": F, "supervisor": F, "operator": F, "admin": F, "field_officer": A,
    },
    ("GET", "/office/visits/<reference>/record"): {
        "handler": F, "supervisor": F, "operator": F, "admin": F, "field_officer": A,
    },
    ("POST", "/office/visits/<reference>/record"): {
        "handler": F, "supervisor": F, "operator": F, "admin": F, "field_officer": A,
    },
    ("GET", "/office/exports"): {
        "handler": A, "supervisor": A, "operator": F, "admin": F, "field_officer": F,
    },
    ("GET", "/office/admin"): {
        "handler": F, "supervisor": A, "operator": F, "admin": A, "field_officer": F,
    },
    ("GET", "/office/admin/new"): {
        "handler": F, "supervisor": A, "operator": F, "admin": A, "field_officer": F,
    },
    ("POST", "/office/admin/new"): {
        "handler": F, "supervisor": A, "operator": F, "admin": A, "field_officer": F,
    },
    # Partner API keys (issue 13 §3): admins only; the probe's partner is made for it.
    ("GET", "/office/admin/partners"): {
        "handler": F, "supervisor": F, "operator": F, "admin": A, "field_officer": F,
    },
    ("GET", "/office/admin/partners/new"): {
        "handler": F, "supervisor": F, "operator": F, "admin": A, "field_officer": F,
    },
    ("POST", "/office/admin/partners/new"): {
        "handler": F, "supervisor": F, "operator": F, "admin": A, "field_officer": F,
    },
    ("GET", "/office/admin/partners/<int:partner_id>/revoke"): {
        "handler": F, "supervisor": F, "operator": F, "admin": A, "field_officer": F,
    },
    ("POST", "/office/admin/partners/<int:partner_id>/revoke"): {
        "handler": F, "supervisor": F, "operator": F, "admin": A, "field_officer": F,
    },
    ("GET", "/office/performance"): {
        "handler": A, "supervisor": A, "operator": F, "admin": F, "field_officer": F,
    },
    ("GET", "/office/performance.csv"): {
        "handler": A, "supervisor": A, "operator": F, "admin": F, "field_officer": F,
    },
    # Assisted submission (issue 12 §1): a village operator for a resident of their village.
    ("GET", "/office/assist"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("POST", "/office/assist"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("GET", "/office/assist/sent/receipt.pdf"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("POST", "/office/assist/done"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("GET", "/office/assist/<any(proposal, objection, correction):kind>"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("POST", "/office/assist/<any(proposal, objection, correction):kind>"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("GET", "/office/assist/<any(proposal, objection, correction):kind>/"
             "<any(subject, village, reasons, evidence, contact, consent):name>"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("POST", "/office/assist/<any(proposal, objection, correction):kind>/"
             "<any(subject, village, reasons, evidence, contact, consent):name>"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("GET", "/office/assist/<any(proposal, objection, correction):kind>/check"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("POST", "/office/assist/<any(proposal, objection, correction):kind>/check"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("GET", "/office/assist/sent"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("POST", "/office/assist/sent"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("GET", "/office/assist/<any(proposal, objection, correction):kind>/already"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("POST", "/office/assist/<any(proposal, objection, correction):kind>/add-to-existing"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("POST", "/office/assist/<any(proposal, objection, correction):kind>/send-as-new"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    ("GET", "/office/assist/<any(proposal, objection, correction):kind>"
            "/evidence/<int:index>/preview"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
    # Offline drafts (issue 15 §2): the worker and the question shells.
    ("GET", "/office/sw.js"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": A,
    },
    ("GET", "/office/assist/shell/<any(proposal, objection, correction):kind>/<subkind>/<name>"): {
        "handler": F, "supervisor": F, "operator": A, "admin": F, "field_officer": F,
    },
}  # fmt: skip

#: Which villages' tickets claim-next may hand each worker: their own office's.
CLAIMS = {
    "handler Bogor": {BOGOR_A, BOGOR_B},
    "handler Bandung": {BANDUNG},
    "supervisor Jawa Barat": set(),  # a province office has no tickets routed to it
    "supervisor Jakarta": set(),
    "supervisor national": set(),
    "supervisor Dinas Sosial Bogor": {BOGOR_A, BOGOR_B},
    "supervisor Dinas Sosial Bandung": {BANDUNG},
}


def office_routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/office")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def routes_missing_from_the_table(app) -> set[tuple[str, str]]:
    return office_routes(app) - (PUBLIC | set(TICKET_ROUTES) | set(OTHER_ROUTES))


def test_every_office_route_is_in_the_table(app):
    assert routes_missing_from_the_table(app) == set(), "add the new route to the matrix"
    assert set(PROBES) == set(TICKET_ROUTES) | set(OTHER_ROUTES)
    assert len(office_routes(app)) == len(PUBLIC) + len(PROBES)


def test_a_new_office_route_fails_the_table(instance_dir):
    from portal import create_app

    fresh = create_app({"ENV_NAME": "testing"})
    fresh.add_url_rule("/office/export", "export", lambda: "", methods=["GET", "POST"])
    assert routes_missing_from_the_table(fresh) == {
        ("GET", "/office/export"),
        ("POST", "/office/export"),
    }


def classify(method: str, response, took) -> str:
    code = response.status_code
    if code == 302 and response.headers["Location"].endswith("/office/login"):
        result = LOGIN
    elif code in (200, 303):
        return A if took else f"{code} without effect"
    else:
        result = {403: F, 404: H}.get(code, f"status {code}")
    return "refused but changed" if method == "POST" and took is True else result


def run(w, routes=None, accounts=None) -> list[tuple]:
    """Every (route, account, village) whose outcome differs from the table."""
    wrong = []
    for name in accounts or ACCOUNTS:
        client, account, csrf = w.clients[name]
        role = ACCOUNTS[name][0]
        for key, probe in PROBES.items():
            if routes is not None and key not in routes:
                continue
            villages = fx.VILLAGES if key in TICKET_ROUTES else (None,)
            for village in villages:
                if village is None:
                    expected = OTHER_ROUTES[key][role]
                else:
                    inside, outside = TICKET_ROUTES[key][role]
                    expected = inside if village in EXPECTED[name] else outside
                before = len(fx.audit_of(w, account.id))
                response, took, audit = probe(w, client, csrf, account, village)
                if key == ("POST", "/office/claim-next"):
                    took = _claim_ok(w, name, took) if response.status_code == 303 else bool(took)
                got = classify(key[0], response, took)
                written = fx.audit_of(w, account.id)[before:]
                if got != A and written:
                    got = f"{got} with audit {written}"
                elif got == A and audit is not None and written != audit:
                    got = f"audit {written}, expected {audit}"
                if got != expected:
                    wrong.append((key, name, village, expected, got))
    return wrong


def _claim_ok(w, name: str, claimed: list[str]) -> bool:
    """True when claim-next handed out one ticket of the account's own office
    (none when its office has none); never a ticket outside it."""
    if not claimed:
        return not CLAIMS.get(name)
    village = {ref: v for v, ref in w.refs.items()}.get(claimed[0])
    return len(claimed) == 1 and village in CLAIMS.get(name, set())


def test_the_route_matrix(world):
    wrong = run(world)
    assert wrong == [], "\n".join(map(str, wrong))


def test_logged_out_every_route_goes_to_the_login_page(app, world):
    w = world
    client = app.test_client()
    csrf = token(client)
    nobody = SimpleNamespace(id=0)
    wrong = []
    for key, probe in PROBES.items():
        villages = fx.VILLAGES if key in TICKET_ROUTES else (None,)
        for village in villages:
            before = fx.templates(w)
            response, took, _ = probe(w, client, csrf, nobody, village)
            if key == ("POST", "/office/claim-next"):
                took = bool(took)
            got = classify(key[0], response, took)
            if fx.templates(w) != before:
                got = "templates changed"
            if got != LOGIN:
                wrong.append((key, village, got))
    assert wrong == []
