"""Who manages which accounts (issue 12 §7): admins every account;
supervisors their region's offices' accounts and never an admin's; nobody
else. Outside the reach: 404, and nothing changes. The expected reach is
written out by hand per supervisor."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.staff.models import StaffUser
from tests.staff.admin_helpers import account, act, create, csrf, field, manager, office_id
from tests.staff.conftest import make_staff
from tests.staff.test_lockout import cheap_argon2  # noqa: F401 - autouse fixture
from tests.staff.test_permissions import BANDUNG, BOGOR_A, JAKARTA

pytestmark = pytest.mark.usefixtures("db_clean")

#: The accounts to manage: name -> (role, place).
TARGETS = {
    "handler Bogor": ("handler", {"office": "dinsos-32.01"}),
    "handler Bandung": ("handler", {"office": "dinsos-32.73"}),
    "handler Jakarta": ("handler", {"office": "dinsos-31.71"}),
    "supervisor Jawa Barat": ("supervisor", {"office": "prov-32"}),
    "supervisor national": ("supervisor", {"office": "national"}),
    "operator Bogor A": ("operator", {"village": BOGOR_A}),
    "operator Bandung": ("operator", {"village": BANDUNG}),
    "operator Jakarta": ("operator", {"village": JAKARTA}),
    "field officer Bogor": (
        "field_officer",
        {"office": "dinsos-32.01", "districts": (BOGOR_A.rsplit(".", 1)[0],)},
    ),
    "admin": ("admin", {"office": "national"}),
}
ALL = set(TARGETS)
#: manager (role, office) -> the targets they may see and change.
REACH = {
    ("admin", "national"): ALL,
    ("supervisor", "national"): ALL - {"admin"},
    ("supervisor", "prov-32"): {
        "handler Bogor",
        "handler Bandung",
        "supervisor Jawa Barat",
        "operator Bogor A",
        "operator Bandung",
        "field officer Bogor",
    },
    ("supervisor", "dinsos-32.01"): {"handler Bogor", "operator Bogor A", "field officer Bogor"},
    ("supervisor", "prov-31"): {"handler Jakarta", "operator Jakarta"},
}


@pytest.fixture
def targets(app):
    return {name: make_staff(app, role, **place) for name, (role, place) in TARGETS.items()}


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry))


@pytest.mark.parametrize("who", list(REACH), ids=[f"{r} {o}" for r, o in REACH])
def test_each_manager_reaches_exactly_their_region(app, clock, targets, who):
    client, _ = manager(app, clock, *who)
    listed = client.get("/office/admin").text
    for name, target in targets.items():
        inside = name in REACH[who]
        assert (target.email in listed) is inside, (who, name)
        page = client.get(f"/office/admin/{target.id}")
        assert page.status_code == (200 if inside else 404), (who, name)
        if inside:
            continue
        before = audit_count(app)
        answer = act(client, target.id, "deactivate", seen="anything")
        assert answer.status_code == 404, (who, name)
        data = {"csrf_token": csrf(client.get("/office/admin/new").text), "role": "handler"}
        changed = client.post(f"/office/admin/{target.id}/change", data=data)
        assert changed.status_code == 404
        assert account(app, target.email).active and audit_count(app) == before


@pytest.mark.parametrize("role", ["handler", "operator", "field_officer"])
def test_other_roles_have_no_admin_pages(app, clock, role):
    place = {
        "handler": {"office": "dinsos-32.01"},
        "operator": {"village": BOGOR_A},
        "field_officer": {"office": "dinsos-32.01", "districts": (BOGOR_A.rsplit(".", 1)[0],)},
    }[role]
    client, _ = manager(app, clock, role, **place)
    assert client.get("/office/admin").status_code == 403
    assert client.get("/office/admin/new").status_code == 403
    assert "/office/admin" not in client.get("/office/", follow_redirects=True).text


def test_a_supervisor_cannot_create_or_promote_an_admin(app, clock, targets):
    client, _ = manager(app, clock, "supervisor", "national")
    page = client.get("/office/admin/new")
    assert 'value="admin"' not in page.text
    answer = create(client, email="baru@example.go.id", name="Baru", role="admin")
    assert answer.status_code == 400 and 'href="#role"' in answer.text
    target = targets["handler Bogor"]
    page = client.get(f"/office/admin/{target.id}/change").text
    data = {"csrf_token": csrf(page), "seen": field(page, "seen"), "role": "admin"}
    data["office"] = str(office_id(app, "national"))
    assert client.post(f"/office/admin/{target.id}/change", data=data).status_code == 400
    assert account(app, target.email).role == "handler"
    with app.app_context():
        assert (
            db.session.scalar(select(StaffUser.id).where(StaffUser.email == "baru@example.go.id"))
            is None
        )


def test_a_province_supervisor_places_only_inside_the_province(app, clock, targets):
    client, _ = manager(app, clock, "supervisor", "prov-32")
    answer = create(client, email="op@example.go.id", name="Op", role="operator", village=JAKARTA)
    assert answer.status_code == 400 and 'href="#village"' in answer.text
    answer = create(
        client,
        email="h@example.go.id",
        name="H",
        role="handler",
        office=str(office_id(app, "dinsos-31.71")),
    )
    assert answer.status_code == 400 and 'href="#office"' in answer.text
    page = client.get("/office/admin/new").text
    assert f'value="{office_id(app, "dinsos-31.71")}"' not in page
    answer = create(client, email="op@example.go.id", name="Op", role="operator", village=BANDUNG)
    assert answer.status_code == 200


#: (manager, target) -> may the manager reset the target's authenticator and
#: password (the reset shows them the new invitation link).
RESETS = {
    (("supervisor", "prov-32"), "supervisor Jawa Barat"): False,
    (("supervisor", "national"), "supervisor Jawa Barat"): False,
    (("supervisor", "national"), "supervisor national"): False,  # a peer
    (("supervisor", "prov-32"), "handler Bogor"): True,
    (("supervisor", "prov-32"), "operator Bogor A"): True,
    (("supervisor", "dinsos-32.01"), "field officer Bogor"): True,
    (("admin", "national"), "supervisor Jawa Barat"): True,
    (("admin", "national"), "handler Bogor"): True,
}


@pytest.mark.parametrize("who,name", list(RESETS), ids=[f"{w[0]} {w[1]}>{n}" for w, n in RESETS])
def test_only_an_admin_resets_a_supervisors_authenticator(app, clock, targets, who, name):
    from tests.staff.admin_helpers import LINK, audit

    client, _ = manager(app, clock, *who)
    target = targets[name]
    before = account(app, target.email)
    page = client.get(f"/office/admin/{target.id}").text
    offered = "/reset-totp" in page
    answer = act(client, target.id, "reset-totp")
    allowed = RESETS[(who, name)]
    assert offered is allowed
    after = account(app, target.email)
    if allowed:
        assert answer.status_code == 200 and LINK.search(answer.text)
        assert after.totp_secret_enc is None
    else:
        assert answer.status_code == 303 and not LINK.search(answer.text)
        assert (after.totp_secret_enc, after.password_hash) == (
            before.totp_secret_enc,
            before.password_hash,
        )
        assert all(d != "totp_reset" for _, _, d in audit(app, target.id))


#: (manager, target) -> may the manager demote the target to handler. A
#: supervisor who could demote a peer could then reset them (RESETS) and
#: promote them back: the same takeover, so only an admin changes their role.
DEMOTIONS = {
    (("supervisor", "national"), "supervisor Jawa Barat"): False,
    (("admin", "national"), "supervisor Jawa Barat"): True,
}


@pytest.mark.parametrize(
    "who,name", list(DEMOTIONS), ids=[f"{w[0]} {w[1]}>{n}" for w, n in DEMOTIONS]
)
def test_only_an_admin_changes_a_supervisors_role(app, clock, targets, who, name):
    from tests.staff.admin_helpers import audit

    client, _ = manager(app, clock, *who)
    target = targets[name]
    page = client.get(f"/office/admin/{target.id}/change").text
    data = {"csrf_token": csrf(page), "seen": field(page, "seen"), "role": "handler"}
    data["office"] = str(office_id(app, "dinsos-32.01"))
    answer = client.post(f"/office/admin/{target.id}/change", data=data)
    if DEMOTIONS[(who, name)]:
        assert answer.status_code == 303
        assert account(app, target.email).role == "handler"
    else:
        assert answer.status_code == 400
        assert "Hanya administrator yang dapat mengubah peran akun supervisor" in answer.text
        assert account(app, target.email).role == "supervisor"
        assert all(not (d or "").startswith("role:") for _, _, d in audit(app, target.id))
