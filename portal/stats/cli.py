"""``flask stats refresh``: recompute the /stats figures (cron)."""

from __future__ import annotations

import datetime as dt
import time

import click
from flask.cli import AppGroup

from portal.db import transaction

stats_cli = AppGroup("stats", help="Public statistics (/stats).")


@stats_cli.command("refresh")
def refresh_command() -> None:
    """Recompute every figure of /stats from the tickets; a periodic job
    (every 15 minutes, after ``tickets performance-refresh``), idempotent."""
    from portal.stats.refresh import refresh

    started = time.perf_counter()
    with transaction():
        scopes = refresh(dt.datetime.now(dt.UTC))
    click.echo(f"stats figures: {scopes} scopes in {time.perf_counter() - started:.1f} s")
