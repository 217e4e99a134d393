"""``flask offices contact CODE``: an office's public contact, shown to
residents on the tracking page and the "office is late" help page."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.db import transaction
from portal.regions.offices import BadContact, set_public_contact

offices_cli = AppGroup("offices", help="Social offices.")


@offices_cli.command("contact")
@click.argument("code")
@click.option("--phone", help='Public phone number, e.g. "(0251) 832 1234"; "" removes it.')
@click.option("--email", help='Public email address; "" removes it.')
@click.option("--address", help='Street address for visits; "" removes it.')
def contact(code: str, phone: str | None, email: str | None, address: str | None) -> None:
    """Set (or, without options, show) the public contact of office CODE,
    e.g. dinsos-32.01 or prov-32. Public data: never a person's own number."""
    try:
        with transaction():
            office = set_public_contact(code, phone=phone, email=email, address=address)
    except (LookupError, BadContact) as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    click.echo(f"{office.code}: {office.name}")
    click.echo(f"  phone:   {office.public_phone or '-'}")
    click.echo(f"  email:   {office.public_email or '-'}")
    click.echo(f"  address: {office.public_address or '-'}")
