"""``flask partners …``: create a partner and its API key, list, revoke."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from portal.db import transaction
from portal.partners.manage import (
    PartnerError,
    all_partners,
    create_partner,
    partner_named,
    revoke_partner,
)

partners_cli = AppGroup("partners", help="Partner systems and their Open311 API keys.")

MESSAGES = {
    "bad_name": "a name is 2-64 characters: a-z, 0-9, '.', '_' and '-', starting with a "
    "letter or digit",
    "name_taken": "a partner with this name exists already",
    "unknown": "no partner with this name",
    "revoked": "this partner's key is already revoked",
}


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return "-"
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


@partners_cli.command("create")
@click.argument("name")
def create(name: str) -> None:
    """Create partner NAME; print its key (once: only its hash is kept)."""
    try:
        with transaction():
            partner, key = create_partner(name, now=dt.datetime.now(dt.UTC))
    except (PartnerError, IntegrityError) as exc:  # the name taken by a concurrent create
        code = exc.code if isinstance(exc, PartnerError) else "name_taken"
        raise click.ClickException(MESSAGES[code]) from exc
    click.echo(f"created partner {partner.name}. Its API key, shown only now:")
    click.echo(key)


@partners_cli.command("list")
def list_() -> None:
    """Every partner: name, key prefix, created, last used, revoked."""
    rows = [("name", "key", "created", "last used", "revoked")]
    for p in all_partners():
        rows.append(
            (
                p.name,
                p.key_prefix + "…",
                _when(p.created_at),
                _when(p.last_used_at),
                _when(p.revoked_at),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@partners_cli.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Revoke partner NAME's key: it stops working at once."""
    try:
        with transaction():
            partner = revoke_partner(partner_named(name), now=dt.datetime.now(dt.UTC))
    except PartnerError as exc:
        raise click.ClickException(MESSAGES[exc.code]) from exc
    click.echo(f"revoked partner {partner.name}")
