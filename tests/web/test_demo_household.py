"""``flask dtsen demo`` (run by ``make run``): prints a household to try that
/lookup finds and one it does not, the README shows the same ones, and the
plaintext snapshot it writes is private and gone after the import (issue 9 §1, §4)."""

from __future__ import annotations

import csv
import os
import re
import stat
from pathlib import Path

import pytest

from portal.config import ROOT
from portal.registry import importer
from portal.registry.cli import DEMO_REGIONS
from portal.registry.synthetic import generate_csv
from tests.web.conftest import post_lookup

PRINTED = re.compile(r"(found|not found): +NIK (\d{16}) +name (.+)")
README_ROW = re.compile(r"^\| (found|not found) \| `(\d{16})` \| (.+?) \|$", re.MULTILINE)


def first_head_with_a_programme(path: Path) -> tuple[str, str]:
    """The rule the README states, read straight from the generated CSV."""
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["relationship"] == "kepala_keluarga" and row["programs"]:
                return row["nik"], row["full_name"]
    raise AssertionError("no head of household with a programme")


def all_niks(path: Path) -> set[str]:
    with path.open(encoding="utf-8") as fh:
        return {row["nik"] for row in csv.DictReader(fh)}


def masked(name: str) -> str:
    return " ".join(w[0] + "*" * (len(w) - 1) for w in name.split())


@pytest.fixture
def demo_run(app, db_clean, monkeypatch, tmp_path):
    """``flask dtsen demo --households 40`` with a world-readable umask; records
    the snapshot's mode while the import reads it."""
    modes = {}
    real_import = importer.import_snapshot

    def spying_import(path, rejects, **kwargs):
        modes["snapshot"] = stat.S_IMODE(os.stat(path).st_mode)
        return real_import(path, rejects, **kwargs)

    monkeypatch.setattr(importer, "import_snapshot", spying_import)
    old_umask = os.umask(0o022)
    try:
        result = app.test_cli_runner().invoke(args=["dtsen", "demo", "--households", "40"])
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    printed = {kind: (nik, name.strip()) for kind, nik, name in PRINTED.findall(result.output)}
    expected_csv = tmp_path / "expected.csv"
    generate_csv(expected_csv, households=40, seed=2026, regions=DEMO_REGIONS)
    return printed, modes, expected_csv


def test_the_printed_household_is_found_and_the_other_is_not(client, demo_run):
    printed, _, expected_csv = demo_run
    assert printed["found"] == first_head_with_a_programme(expected_csv)
    nik, name = printed["found"]
    assert masked(name) in post_lookup(client, nik, name).data.decode()
    unknown, same_name = printed["not found"]
    assert unknown not in all_niks(expected_csv)
    assert unknown[:12] == nik[:12] and same_name == name  # a valid NIK: not a form error
    page = post_lookup(client, unknown, same_name, ip="198.51.100.8").data.decode()
    assert masked(name) not in page
    assert "Desil" not in page


def test_the_snapshot_is_private_and_removed_after_the_import(app, demo_run):
    _, modes, _ = demo_run
    assert modes["snapshot"] == 0o600
    leftovers = sorted(p.name for p in Path(app.instance_path).glob("demo-snapshot*"))
    assert leftovers == []


def test_a_second_run_imports_nothing_and_prints_the_same_household(app, demo_run):
    printed, _, _ = demo_run
    leftover = Path(app.instance_path) / "demo-snapshot.csv"  # from an older version
    leftover.write_text("nik\n")
    again = app.test_cli_runner().invoke(args=["dtsen", "demo", "--households", "40"])
    assert "demo data not needed" in again.output
    assert not leftover.exists()
    assert {k: (n, m.strip()) for k, n, m in PRINTED.findall(again.output)} == printed


def test_nothing_is_printed_for_a_registry_that_is_not_the_demo(app, registry):
    result = app.test_cli_runner().invoke(args=["dtsen", "demo"])
    assert "demo data not needed" in result.output
    assert "NIK" not in result.output


def test_the_readme_shows_the_household_make_run_prints(tmp_path):
    """`make run` imports 5,000 households with seed 2026: regenerate them."""
    shown = {kind: (nik, name) for kind, nik, name in README_ROW.findall(readme())}
    snapshot = tmp_path / "demo.csv"
    generate_csv(snapshot, households=5000, seed=2026, regions=DEMO_REGIONS)
    assert shown["found"] == first_head_with_a_programme(snapshot)
    unknown, name = shown["not found"]
    assert unknown not in all_niks(snapshot)
    assert unknown[:12] == shown["found"][0][:12] and name == shown["found"][1]


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_production_refuses_demo_data(app, monkeypatch, db_clean):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = app.test_cli_runner().invoke(args=["dtsen", "demo", "--households", "5"])
    assert result.exit_code != 0
    assert "development and testing only" in result.output
    assert "NIK" not in result.output
