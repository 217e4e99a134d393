"""Helpers for the audit tests: appending rows, tampering on purpose, running verify."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from portal.audit.guard import unguarded
from portal.audit.log import record
from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.extensions import db

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


def append(app, count: int) -> list[int]:
    """``count`` rows, one transaction each; their ids."""
    ids = []
    with app.app_context():
        for i in range(count):
            with transaction():
                entry = record(
                    "moved",
                    staff_id=7,
                    ticket_id=100 + i,
                    detail="in_review>verified",
                    now=T0 + dt.timedelta(minutes=i),
                )
                ids.append(entry.id)
    return ids


def tamper(app, *statements: tuple[str, dict]) -> None:
    """Run SQL on audit_log with its triggers dropped for the transaction."""
    with app.app_context(), transaction(), unguarded():
        for sql, params in statements:
            db.session.execute(text(sql), params)


def rows(app) -> list[AuditEntry]:
    with app.app_context():
        found = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        db.session.expunge_all()
        return found


def verify_cli(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])
