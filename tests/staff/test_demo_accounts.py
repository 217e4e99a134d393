"""``flask staff demo``: five demo accounts, created once, never in production (AU1)."""

import datetime as dt
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.db import keyring
from portal.extensions import db
from portal.regions.models import VILLAGE, Office, Region
from portal.staff.accounts import (
    DEMO_CREDENTIALS_FILE,
    DemoAccountsRefused,
    StaffError,
    create_staff,
    ensure_demo_accounts,
    read_demo_credentials,
    verify_password,
)
from portal.staff.models import StaffArea, StaffUser

# Tests list db_clean before app_ctx so the test's session closes first: an open
# write transaction would hold SQLite's lock while db_clean empties the tables.


@pytest.fixture
def credentials(app) -> Iterator[Path]:
    path = Path(app.instance_path) / DEMO_CREDENTIALS_FILE
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


def run_demo(app):
    return app.test_cli_runner().invoke(args=["staff", "demo"])


def staff_rows():
    return {u.email: u for u in db.session.scalars(select(StaffUser))}


def test_demo_creates_five_accounts_once(app, db_clean, app_ctx, credentials):
    first = run_demo(app)
    assert first.exit_code == 0, first.output
    assert "5 created" in first.output
    users = staff_rows()
    assert sorted(u.role for u in users.values()) == [
        "admin",
        "field_officer",
        "handler",
        "operator",
        "supervisor",
    ]
    assert all(u.is_demo and u.active for u in users.values())
    hashes = {email: u.password_hash for email, u in users.items()}
    file_text = credentials.read_text()

    second = run_demo(app)
    assert second.exit_code == 0, second.output
    assert "0 created, 0 password(s) reset" in second.output
    db.session.expire_all()
    assert {email: u.password_hash for email, u in staff_rows().items()} == hashes
    assert credentials.read_text() == file_text


def test_every_run_prints_the_credentials(app, db_clean, app_ctx, credentials):
    run_demo(app)
    output = run_demo(app).output
    for email, (password, secret) in read_demo_credentials(credentials).items():
        assert email in output
        assert password in output
        assert secret in output


def test_passwords_are_argon2_hashes_not_clear_text(app, db_clean, app_ctx, credentials):
    run_demo(app)
    passwords = {e: pw for e, (pw, _) in read_demo_credentials(credentials).items()}
    users = staff_rows()
    assert set(passwords) == set(users)
    for email, password in passwords.items():
        stored = users[email].password_hash
        assert stored.startswith("$argon2id$")
        for column in StaffUser.__table__.columns:
            assert password not in str(getattr(users[email], column.key))
        assert verify_password(stored, password)
        assert not verify_password(stored, password + "x")
    assert len(set(passwords.values())) == 5


def test_credentials_file_is_private(app, db_clean, app_ctx, credentials):
    run_demo(app)
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600


def test_accounts_sit_in_the_expected_offices(app, db_clean, app_ctx, credentials):
    run_demo(app)
    offices = dict(db.session.execute(select(Office.id, Office.code)).all())
    by_role = {u.role: u for u in staff_rows().values()}
    assert offices[by_role["admin"].office_id] == "national"
    assert offices[by_role["supervisor"].office_id] == "prov-32"
    assert offices[by_role["handler"].office_id] == "dinsos-32.01"
    village = db.session.get(Region, by_role["operator"].village_code)
    assert village.level == VILLAGE
    assert village.code.startswith("32.01.")
    officer = by_role["field_officer"]
    assert offices[officer.office_id] == "dinsos-32.01"
    areas = db.session.scalars(
        select(StaffArea.district_code).where(StaffArea.staff_id == officer.id)
    )
    assert sorted(areas) == ["32.01.01", "32.01.02", "32.01.03", "32.01.04"]


def test_lost_credentials_file_gives_new_working_passwords(app, db_clean, app_ctx, credentials):
    run_demo(app)
    old = read_demo_credentials(credentials)
    credentials.unlink()

    result = run_demo(app)
    assert result.exit_code == 0, result.output
    assert "0 created, 5 password(s) reset" in result.output
    new = read_demo_credentials(credentials)
    db.session.expire_all()
    for email, user in staff_rows().items():
        assert verify_password(user.password_hash, new[email][0])
        assert not verify_password(user.password_hash, old[email][0])


@pytest.mark.parametrize("env_name", ["production", "staging", ""])
def test_refused_outside_development_and_testing(app, db_clean, app_ctx, credentials, env_name):
    with pytest.raises(DemoAccountsRefused):
        ensure_demo_accounts(env_name, credentials, keyring())
    assert staff_rows() == {}
    assert not credentials.exists()


def test_cli_refuses_in_production_config(app, db_clean, app_ctx, credentials, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = run_demo(app)
    assert result.exit_code != 0
    assert "development and testing only" in result.output
    assert staff_rows() == {}
    assert not credentials.exists()


def test_create_staff_rejects_unknown_role_and_duplicate_email(app, db_clean, app_ctx):
    national = db.session.scalar(select(Office).where(Office.code == "national"))
    with pytest.raises(StaffError, match="unknown role"):
        create_staff(
            email="x@example.org", display_name="X", role="root", password="pw", office=national
        )
    user = create_staff(
        email="Admin@Example.org",
        display_name="A",
        role="admin",
        password="kebun teh di lereng gunung salak",
        office=national,
    )
    assert user.email == "admin@example.org"
    assert user.created_at.utcoffset() == dt.timedelta(0)
    with pytest.raises(StaffError, match="already has an account"):
        create_staff(email=" admin@example.org ", display_name="B", role="admin", password="pw")


def test_operator_needs_a_real_village(app, db_clean, app_ctx):
    with pytest.raises(StaffError, match="village"):
        create_staff(email="o@example.org", display_name="O", role="operator", password="pw")
    with pytest.raises(StaffError, match="not a known desa"):
        create_staff(
            email="o@example.org",
            display_name="O",
            role="operator",
            password="pw",
            village_code="32.01",
        )


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("pendek", "at least 12"),
        ("password1234", "most common"),
        ("qwertyuiop123", "most common"),
        ("budi.santoso2024!", "email address"),
        ("aaaaaaaaaaaaaaaa", "too easy"),
    ],
)
def test_weak_and_common_passwords_are_refused(app, db_clean, app_ctx, password, why):
    """SECURITY.md AU1: the common-password list is refused."""
    national = db.session.scalar(select(Office).where(Office.code == "national"))
    with pytest.raises(StaffError, match=why):
        create_staff(
            email="budi.santoso@example.org",
            display_name="Budi",
            role="admin",
            password=password,
            office=national,
        )


def test_demo_accounts_are_enrolled_and_demo_code_works(app, db_clean, app_ctx, credentials):
    from portal.staff import totp

    run_demo(app)
    found = read_demo_credentials(credentials)
    for user in staff_rows().values():
        assert totp.secret_of(user, keyring()) == found[user.email][1]
    result = app.test_cli_runner().invoke(args=["staff", "demo-code", "handler.demo@example.org"])
    assert result.exit_code == 0, result.output
    code = result.output.strip()
    assert len(code) == 6 and code.isdigit()
    secret = found["handler.demo@example.org"][1]
    now = dt.datetime.now(dt.UTC)
    assert code in {totp.current_code(secret, now + dt.timedelta(seconds=s)) for s in (-30, 0)}


def test_create_command_makes_an_enrolled_account(app, db_clean, app_ctx):
    from portal.staff import totp

    result = app.test_cli_runner().invoke(
        args=["staff", "create", "--email", "Sari@Dinsos.example.go.id", "--name", "Sari",
              "--role", "handler", "--office", "dinsos-32.01",
              "--password", "kopi tubruk pagi hari di bogor"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = staff_rows()["sari@dinsos.example.go.id"]
    secret = totp.secret_of(user, keyring())
    assert secret in result.output and "otpauth://totp/" in result.output
    weak = app.test_cli_runner().invoke(
        args=["staff", "create", "--email", "x@example.org", "--name", "X", "--role", "admin",
              "--office", "national", "--password", "password123"],
    )  # fmt: skip
    assert weak.exit_code != 0 and "password refused" in weak.output


def test_a_credentials_file_from_before_totp_keeps_its_passwords(
    app, db_clean, app_ctx, credentials
):
    run_demo(app)
    found = read_demo_credentials(credentials)
    old_format = "\n".join(
        f"{role} {email} {password} somewhere: Kab. Bogor"
        for role, (email, (password, _)) in zip(
            ("admin", "supervisor", "handler", "operator", "field_officer"),
            found.items(),
            strict=True,
        )
    )
    credentials.write_text(old_format + "\n")
    result = run_demo(app)
    assert "0 created, 0 password(s) reset" in result.output
    again = read_demo_credentials(credentials)
    assert {e: p for e, (p, _) in again.items()} == {e: p for e, (p, _) in found.items()}
    assert all(len(secret) == 32 for _, secret in again.values())


def test_create_command_makes_a_field_officer_with_their_kecamatan(app, db_clean, app_ctx):
    result = app.test_cli_runner().invoke(
        args=["staff", "create", "--email", "dewi@dinsos.example.go.id", "--name", "Dewi",
              "--role", "field_officer", "--office", "dinsos-32.01",
              "--district", "32.01.01", "--district", "32.01.02",
              "--password", "kopi tubruk pagi hari di bogor"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = staff_rows()["dewi@dinsos.example.go.id"]
    areas = db.session.scalars(select(StaffArea.district_code).where(StaffArea.staff_id == user.id))
    assert (user.role, sorted(areas)) == ("field_officer", ["32.01.01", "32.01.02"])
    for wrong in ([], ["--district", "32.73.01"]):  # none; another kab/kota's kecamatan
        refused = app.test_cli_runner().invoke(
            args=["staff", "create", "--email", f"x{len(wrong)}@example.org", "--name", "X",
                  "--role", "field_officer", "--office", "dinsos-32.01", *wrong,
                  "--password", "kopi tubruk pagi hari di bogor"],
        )  # fmt: skip
        assert refused.exit_code != 0 and "kecamatan" in refused.output
