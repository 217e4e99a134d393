"""``flask retention run``, ``flask breach report``, ``flask backup
create|verify|restore`` (issue 14 §5; runbooks in docs/data-protection.md).

Staff-only output, in English. Nothing here prints a key, and the breach
report prints identities masked unless written to a file (``--out``).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.extensions import db
from portal.tickets.models import Ticket

retention_cli = AppGroup("retention", help="Purge personal data past its retention period.")
breach_cli = AppGroup("breach", help="Breach notification (UU PDP, 3x24 hours).")
backup_cli = AppGroup("backup", help="Backups of the database, evidence and keys.")


@retention_cli.command("run")
def retention_run() -> None:
    """Remove evidence of tickets final for RETENTION_EVIDENCE_DAYS, expired
    drafts and drafts of final tickets (RETENTION_DRAFT_HOURS_AFTER_CLOSURE)."""
    from portal.privacy.retention import run_retention

    counts = run_retention()
    click.echo(" ".join(f"{kind}={n}" for kind, n in counts.items()))


def _utc(value: dt.datetime) -> dt.datetime:
    """A time typed without a zone is UTC (``--from 2026-03-16T00:00``)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class _Moment(click.ParamType):
    name = "ISO-TIME"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.datetime):
            return value
        try:
            return _utc(dt.datetime.fromisoformat(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 time (2026-03-16T08:00+07:00)", param, ctx)


@breach_cli.command("report")
@click.option("--from", "start", type=_Moment(), required=True, help="Window start (inclusive).")
@click.option("--to", "end", type=_Moment(), required=True, help="Window end (exclusive).")
@click.option("--ticket", "reference", default=None, help="Only this ticket's access.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the CSV with identities in full to this new file (0600); "
    "without it the CSV goes to the terminal, masked.",
)
def breach_report_command(start, end, reference, out) -> None:
    """Which subjects' data the staff access of [--from, --to) touched,
    from the audit log: counts, then one CSV row per ticket."""
    from portal.privacy.breach import COLUMNS, breach_report, subject_rows

    if end <= start:
        raise click.UsageError("--to must be after --from")
    ticket_id = None
    if reference:
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.reference == reference))
        if ticket_id is None:
            raise click.UsageError(f"no ticket {reference}")
    report = breach_report(start, end, ticket_id=ticket_id)
    keyring = current_app.extensions["keyring"]
    rows, totals = subject_rows(report, keyring, masked=out is None)
    db.session.rollback()
    click.echo(
        f"window {report.start.isoformat()} .. {report.end.isoformat()}: "
        f"{report.audit_rows} audit rows"
    )
    for name in ("tickets", "households", "persons", "other_subjects", "reporters"):
        click.echo(f"{name}: {totals.get(name, 0)}")
    for kind, n in sorted(report.unattributed.items()):
        click.echo(f"not attributable to a subject: {kind} x{n}")
    if out is not None:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            _write_csv(f, COLUMNS, rows)
        click.echo(f"subjects written to {out} ({len(rows)} rows, identities in full)")
    else:
        _write_csv(sys.stdout, COLUMNS, rows)


def _write_csv(stream, columns, rows) -> None:
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    stream.flush()


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    raise SystemExit(1)


@backup_cli.command("create")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def backup_create(dest: Path) -> None:
    """Back up the database, the evidence files and the key file into DEST
    (new or empty), with a manifest of counts and sha256s."""
    from portal.privacy.backup import BackupError, create_backup

    try:
        manifest = create_backup(dest)
    except BackupError as exc:
        _fail(exc)
    database, evidence = manifest["database"], manifest["evidence"]
    click.echo(
        f"database ({manifest['backend']}): {database['file']} {database['bytes']} bytes, "
        f"{sum(database['tables'].values())} rows in {len(database['tables'])} tables"
    )
    click.echo(f"evidence: {len(evidence['files'])} file(s), {evidence['bytes']} bytes")
    if evidence["missing"]:
        click.echo(f"warning: {len(evidence['missing'])} file(s) named by rows are not stored")
    keys = manifest["keys"]
    if keys["file"]:
        click.echo(f"keys: {keys['file']} (keep this backup as safe as the keys themselves)")
    else:
        click.echo("keys: from the environment, not copied: keep them in the secret store")


@backup_cli.command("verify")
@click.argument("src", type=click.Path(file_okay=False, exists=True, path_type=Path))
def backup_verify(src: Path) -> None:
    """Check every file of the backup in SRC against its manifest."""
    from portal.privacy.restore import BackupError, verify_backup

    try:
        manifest = verify_backup(src)
    except BackupError as exc:
        _fail(exc)
    click.echo(f"backup of {manifest['created_at']}: every file matches its sha256")


@backup_cli.command("restore")
@click.argument("src", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--ignore-keys", is_flag=True, help="Restore even if the keys differ.")
def backup_restore(src: Path, ignore_keys: bool) -> None:
    """Restore the backup in SRC into this app's (empty) database and its
    evidence storage, then check counts, schema and the audit chain."""
    from portal.privacy.restore import BackupError, restore_backup

    try:
        done = restore_backup(src, ignore_keys=ignore_keys)
    except BackupError as exc:
        _fail(exc)
    for line in done:
        click.echo(line)
