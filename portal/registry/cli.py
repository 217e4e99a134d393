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
@click.option(
    "--warnings",
    "warnings_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where unknown condition values go (default FILE.warnings.csv).",
)
@click.option(
    "--codes",
    "codes_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="CSV column,source_value,portal_value translating the source's condition codes.",
)
@click.option("--workers", type=click.IntRange(min=1), default=None)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def import_(
    csv_path: Path,
    rejects: Path | None,
    warnings_path: Path | None,
    codes_path: Path | None,
    workers: int | None,
    quiet: bool,
) -> None:
    """Import a snapshot CSV; bad rows go to the rejects file with line and reason.

    Identity and decision columns (NIK, KK, village, relationship, sex, dates,
    desil, programmes, floor area) are strict: a bad value rejects the row.
    A value of the eight house-condition columns (floor_material,
    wall_material, roof_material, drinking_water, lighting_source,
    cooking_fuel, toilet_facility, home_ownership) that the portal does not
    know is imported as given (control characters removed, at most 32
    characters) and listed in the warnings file (line, column, value).

    --codes MAP.csv translates a source's codes first. Its format, one
    translation per line, with this header:

    \b
        column,source_value,portal_value
        roof_material,3,genteng
        drinking_water,PDAM,ledeng

    column is one of the eight condition columns, portal_value one of that
    column's values. A wrong mapping file stops the command before anything
    is imported. Rows of one kk_number are compared after mapping.
    """
    from portal.registry.codes import CodesError, load_codes
    from portal.registry.importer import import_snapshot

    codes = None
    if codes_path is not None:
        try:
            codes = load_codes(codes_path)
        except CodesError as exc:
            raise click.ClickException(str(exc)) from None
    rejects = rejects or csv_path.with_suffix(".rejects.csv")
    warnings_path = warnings_path or csv_path.with_suffix(".warnings.csv")
    report = import_snapshot(
        csv_path,
        rejects,
        workers=workers or current_app.config["IMPORT_WORKERS"],
        progress=not quiet,
        warnings_path=warnings_path,
        codes=codes,
    )
    click.echo(report.summary())
    if report.rows_rejected:
        click.echo(f"rejected rows written to {rejects}")
    if report.warnings:
        click.echo(f"unknown condition values written to {warnings_path}")


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
