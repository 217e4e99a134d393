"""``flask stats refresh``: recompute the /stats figures (cron)."""

from __future__ import annotations

import datetime as dt
import time

import click
from flask.cli import AppGroup

from portal.db import transaction

stats_cli = AppGroup("stats", help="Public statistics (/stats).")


@stats_cli.command("refresh")
@click.option(
    "--with-performance",
    is_flag=True,
    help="Recompute the office performance figures first, from the same tallies.",
)
def refresh_command(with_performance: bool) -> None:
    """Recompute every figure of /stats from the tickets; a periodic job
    (every 15 minutes, after ``tickets performance-refresh``), idempotent.

    ``--with-performance`` does both in one transaction, tallying the tickets
    once (``performance.compute``) for the two: the worker's ``refresh`` job."""
    from portal.stats.refresh import refresh
    from portal.tickets import performance

    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    with transaction():
        tallies = performance.compute(now) if with_performance else None
        if tallies is not None:
            rows = performance.refresh(now, tallies)
            click.echo(f"performance figures: {rows} rows")
        scopes = refresh(now, tallies)
    click.echo(f"stats figures: {scopes} scopes in {time.perf_counter() - started:.1f} s")
