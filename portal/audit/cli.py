"""``flask audit verify``: walk the audit log's hash chain (SECURITY.md LG3)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.audit.verify import verify
from portal.extensions import db

audit_cli = AppGroup("audit", help="The audit log of staff actions.")
#: Rows fetched at a time: a million rows never sit in memory at once.
BATCH = 2000


@audit_cli.command("verify")
def verify_command() -> None:
    """Check every row's hash and link in id order; name the first row that
    was changed, removed or inserted (exit status 1), or print how many rows
    verified and the last row's hash (keep it: rows later removed from the
    end, or a chain recomputed wholesale, will not match it)."""
    rows = db.session.execute(
        select(AuditEntry.__table__).order_by(AuditEntry.id).execution_options(yield_per=BATCH)
    )
    result = verify(rows)
    db.session.rollback()
    if result.problem is not None:
        click.echo(f"audit log: {result.problem} ({result.verified} rows verified before it)")
        raise SystemExit(1)
    head = result.head.hex() if result.head else "none"
    click.echo(f"audit log: {result.verified} rows verified; last row's hash {head}")
