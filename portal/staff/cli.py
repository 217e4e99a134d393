"""``flask staff …``: real accounts, the demo accounts, and a demo account's current code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.audit.log import record
from portal.db import keyring, transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.staff import totp
from portal.staff.accounts import (
    DEMO_CREDENTIALS_FILE,
    DEMO_ENVIRONMENTS,
    StaffError,
    create_staff,
    ensure_demo_accounts,
    normalise_email,
)
from portal.staff.models import ROLES, StaffUser

staff_cli = AppGroup("staff", help="Staff accounts.")


@staff_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option(
    "--office", "office_code", help="Office code (handler, supervisor, admin, field_officer)."
)
@click.option("--village", "village_code", help="Desa/kelurahan code (operator).")
@click.option(
    "--district",
    "districts",
    multiple=True,
    help="Kecamatan code PP.RR.DD a field officer covers (repeat for several).",
)
@click.password_option(help="Asked for when not given.")
def create(email, display_name, role, office_code, village_code, districts, password) -> None:
    """Create a staff account and print its TOTP enrolment (once)."""
    try:
        with transaction():
            office = None
            if office_code:
                office = db.session.scalar(select(Office).where(Office.code == office_code))
                if office is None:
                    raise StaffError(f"no office {office_code}")
            user = create_staff(
                email=email,
                display_name=display_name,
                role=role,
                password=password,
                office=office,
                village_code=village_code,
                districts=districts,
            )
            secret = totp.new_secret()
            totp.enrol(user, secret, keyring())
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {user.email} ({role}). Add this to an authenticator app now;")
    click.echo("it is not shown again:")
    click.echo(f"  secret: {secret}")
    click.echo(f"  {totp.provisioning_uri(secret, user.email)}")


@staff_cli.command("demo")
def demo() -> None:
    """Create the demo accounts (development and testing only) and print their credentials."""
    path = Path(current_app.instance_path) / DEMO_CREDENTIALS_FILE
    try:
        with transaction():
            result = ensure_demo_accounts(current_app.config["ENV_NAME"], path, keyring())
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"staff demo: {len(result.created)} created, {len(result.reset)} password(s) reset; "
        f"credentials in {path}"
    )
    click.echo(path.read_text(), nl=False)


@staff_cli.command("demo-code")
@click.argument("email")
def demo_code(email: str) -> None:
    """Print a demo account's current TOTP code (development and testing only)."""
    if current_app.config["ENV_NAME"] not in DEMO_ENVIRONMENTS:
        raise click.ClickException("demo accounts exist in development and testing only")
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
    if user is None or not user.is_demo:
        raise click.ClickException(f"{email} is not a demo account")
    click.echo(totp.current_code(totp.secret_of(user, keyring()), dt.datetime.now(dt.UTC)))


@staff_cli.command("unlock")
@click.argument("email")
def unlock(email: str) -> None:
    """Lift the locks after repeated failed logins, from every address (the
    person asked; check it is them)."""
    from portal.staff.login import unlock as unlock_account

    with transaction():
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
        if user is None:
            raise click.ClickException(f"no account {email}")
        unlock_account(keyring(), user.email)
        record("account_changed", target_staff_id=user.id, detail="unlocked")
    click.echo(f"{user.email} can log in again")


@staff_cli.command("purge-failures")
def purge_failures() -> None:
    """Remove failed-login counts a day old whose lock is over. Run daily."""
    from portal.staff.login import forget_old_failures

    with transaction():
        removed = forget_old_failures(dt.datetime.now(dt.UTC))
    click.echo(f"{removed} old failed-login counts removed")
