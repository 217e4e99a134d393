"""``flask dtsen generate|import|demo``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from portal.extensions import db

dtsen_cli = AppGroup("dtsen", help="DTSEN snapshot: synthetic data and import.")


@dtsen_cli.command("generate")
@click.option("--households", type=click.IntRange(min=1), required=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--region",
    "regions",
    multiple=True,
    help="Only villages under this code prefix (e.g. 32.01); repeatable.",
)
def generate(households: int, seed: int, out_path: Path, regions: tuple[str, ...]) -> None:
    """Write a synthetic snapshot CSV (deterministic for a seed)."""
    from portal.registry.synthetic import generate_csv

    stats = generate_csv(out_path, households=households, seed=seed, regions=regions or None)
    click.echo(f"wrote {stats.households} households, {stats.persons} persons to {out_path}")


@dtsen_cli.command("import")
@click.argument("csv_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--workers", type=click.IntRange(min=1), default=None)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def import_(csv_path: Path, rejects: Path | None, workers: int | None, quiet: bool) -> None:
    """Import a snapshot CSV; bad rows go to the rejects file with line and reason."""
    from portal.registry.importer import import_snapshot

    rejects = rejects or csv_path.with_suffix(".rejects.csv")
    report = import_snapshot(
        csv_path,
        rejects,
        workers=workers or current_app.config["IMPORT_WORKERS"],
        progress=not quiet,
    )
    click.echo(report.summary())
    if report.rows_rejected:
        click.echo(f"rejected rows written to {rejects}")


@dtsen_cli.command("demo")
@click.option("--households", type=click.IntRange(min=1), default=5000, show_default=True)
def demo(households: int) -> None:
    """Generate and import demo households if the registry is empty; print one to try."""
    from portal.registry.importer import import_snapshot
    from portal.registry.models import Household
    from portal.registry.synthetic import generate_csv

    if current_app.config["ENV_NAME"] == "production":
        raise click.UsageError("demo data is for development and testing only")
    from portal.registry.demo import DEMO_FILE_NAME, create_private

    path = Path(current_app.instance_path) / DEMO_FILE_NAME
    if db.session.scalar(select(func.count()).select_from(Household)):
        click.echo("registry already has households; demo data not needed")
        path.unlink(missing_ok=True)  # left world-readable by an older version
    else:
        rejects = path.with_suffix(".rejects.csv")
        create_private(path)
        try:
            generate_csv(path, households=households, seed=2026, regions=DEMO_REGIONS)
            report = import_snapshot(path, rejects, workers=1, progress=False)
        finally:
            # Imported (or failed): the plaintext copy has no further use.
            path.unlink(missing_ok=True)
        click.echo(report.summary())
        if report.rows_rejected:
            click.echo(f"rejected rows written to {rejects}")
        else:
            rejects.unlink(missing_ok=True)
    _print_demo_household()


def _print_demo_household() -> None:
    from portal.registry.demo import demo_household

    found = demo_household(current_app.extensions["keyring"])
    if found is None:
        return
    click.echo(
        "Try /lookup with the demo household (synthetic data, the same on every machine):\n"
        f"  found:     NIK {found.nik}  name {found.name}\n"
        f"  not found: NIK {found.unknown_nik}  name {found.name}"
    )


#: Demo households live in a few regencies so queues and villages are not empty.
DEMO_REGIONS = ("32.01", "33.74", "35.78", "53.71", "73.71")
