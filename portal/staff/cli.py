"""``flask staff …``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.db import transaction
from portal.staff.accounts import DEMO_CREDENTIALS_FILE, StaffError, ensure_demo_accounts

staff_cli = AppGroup("staff", help="Staff accounts.")


@staff_cli.command("demo")
def demo() -> None:
    """Create the demo accounts (development and testing only) and print their credentials."""
    path = Path(current_app.instance_path) / DEMO_CREDENTIALS_FILE
    try:
        with transaction():
            result = ensure_demo_accounts(current_app.config["ENV_NAME"], path)
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"staff demo: {len(result.created)} created, {len(result.reset)} password(s) reset; "
        f"credentials in {path}"
    )
    click.echo(path.read_text(), nl=False)
