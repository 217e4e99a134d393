"""``flask dtsen import``: unknown house-condition codes import with a warning,
the ``--codes`` mapping, and what stays strict (issue 9 §5)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.registry.codes import CodesError, load_codes
from portal.registry.importer import import_snapshot
from portal.registry.models import Household, ImportRun, Person
from tests.factories import household, write_csv
from tests.registry.test_import import rejects_of, table_state

pytestmark = pytest.mark.usefixtures("db_clean")

KK1, KK2 = "3201011503100001", "3201011503100002"


def warnings_of(path: Path) -> list[tuple[str, str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        assert next(reader) == ["line", "column", "value"]
        return [tuple(r) for r in reader]


def write_map(path: Path, lines: list[str]) -> Path:
    path.write_text("column,source_value,portal_value\n" + "\n".join(lines) + "\n")
    return path


def stored(keyring, kk: str) -> Household:
    return db.session.scalar(select(Household).where(Household.kk_index == keyring.kk_index(kk)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# -- unknown values import, are kept as given and listed ------------------------
def test_unknown_condition_values_import_and_are_listed(app_ctx, tmp_path, keyring):
    odd = household(KK1, 1, roof_material="3", lighting_source="PLN 450 VA")
    rows = odd + household(KK2, 2)  # lines 2-4 and 5-7
    path = write_csv(tmp_path / "s.csv", rows)
    report = import_snapshot(path, tmp_path / "rej.csv", warnings_path=tmp_path / "warn.csv")
    assert report.rows_rejected == 0 and rejects_of(tmp_path / "rej.csv") == {}
    assert report.households_new == 2 and report.persons_written == 6
    h = stored(keyring, KK1)
    assert (h.roof_material, h.lighting_source, h.wall_material) == ("3", "PLN 450 VA", "tembok")
    # one line per household and column, at the household's first line, in CSV column order
    assert warnings_of(tmp_path / "warn.csv") == [
        ("2", "roof_material", "3"),
        ("2", "lighting_source", "PLN 450 VA"),
    ]
    assert report.warnings == 2
    assert "2 unknown codes kept as given" in report.summary()
    assert oct(os.stat(tmp_path / "warn.csv").st_mode & 0o777) == "0o600"


def test_unknown_values_lose_control_characters_and_are_bounded(app_ctx, tmp_path, keyring):
    long_value = "Seng gelombang " + "x" * 40  # 55 characters
    rows = household(KK1, 1, wall_material="\x07Bata\x1b merah\x00 ", roof_material=long_value)
    path = write_csv(tmp_path / "s.csv", rows)
    report = import_snapshot(path, None, warnings_path=tmp_path / "warn.csv")
    assert report.rows_rejected == 0 and report.households_new == 1
    h = stored(keyring, KK1)
    assert h.wall_material == "Bata merah"
    assert h.roof_material == "Seng gelombang " + "x" * 17  # 32 characters
    assert warnings_of(tmp_path / "warn.csv") == [
        ("2", "wall_material", "Bata merah"),
        ("2", "roof_material", "Seng gelombang " + "x" * 17),
    ]


def test_a_known_code_with_stray_spaces_is_the_code(app_ctx, tmp_path, keyring):
    path = write_csv(tmp_path / "s.csv", household(KK1, 1, roof_material=" seng "))
    report = import_snapshot(path, None, warnings_path=tmp_path / "warn.csv")
    assert (report.warnings, stored(keyring, KK1).roof_material) == (0, "seng")


def test_warnings_file_does_not_run_formulas_in_a_spreadsheet(app_ctx, tmp_path):
    rows = household(KK1, 1, floor_material="=1+2", wall_material="-1", roof_material="@x")
    import_snapshot(write_csv(tmp_path / "s.csv", rows), None, warnings_path=tmp_path / "w.csv")
    assert [v for _, _, v in warnings_of(tmp_path / "w.csv")] == ["'=1+2", "-1", "'@x"]


def test_no_warning_for_a_household_the_import_rejects_whole(app_ctx, tmp_path):
    again = household(KK1, 1, roof_material="4")[0]  # line 8: KK1 again, not consecutive
    rows = household(KK1, 1, roof_material="3") + household(KK2, 2) + [again]
    path = write_csv(tmp_path / "s.csv", rows)
    report = import_snapshot(path, tmp_path / "rej.csv", warnings_path=tmp_path / "w.csv")
    assert rejects_of(tmp_path / "rej.csv")[8].startswith("kk_number: already seen at line 2")
    assert warnings_of(tmp_path / "w.csv") == [("2", "roof_material", "3")]
    assert report.warnings == 1


# -- what stays strict ------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("floor_area_m2", "36,5", "floor_area_m2: must be a whole number"),
        ("desil", "D2", "desil: must be 1-10"),
        ("programs", "PKH;BLT", "programs: unknown code(s) BLT"),
        ("village_code", "32.01.01.9999", "village_code: unknown"),
        ("sex", "M", "sex: must be L or P"),
        ("relationship", "kepala", "relationship: unknown value"),
        ("birth_date", "15-08-1980", "birth_date: expected YYYY-MM-DD"),
    ],
)
def test_identity_and_decision_columns_stay_strict(app_ctx, tmp_path, column, value, reason):
    rows = household(KK1, 1, roof_material="3")
    rows[0][column] = value
    if column in ("desil", "programs", "village_code", "floor_area_m2"):
        for r in rows:  # household columns: the same on every row
            r[column] = value
    path = write_csv(tmp_path / "s.csv", rows)
    report = import_snapshot(path, tmp_path / "rej.csv", warnings_path=tmp_path / "w.csv")
    assert rejects_of(tmp_path / "rej.csv")[2].startswith(reason)
    assert report.rows_rejected >= 1


def test_condition_values_that_disagree_in_a_household_still_reject(app_ctx, tmp_path):
    rows = household(KK1, 1, roof_material="3")
    rows[2]["roof_material"] = "4"  # line 4: another unknown code
    rows[1]["roof_material"] = "genteng"  # line 3: a known one
    path = write_csv(tmp_path / "s.csv", rows)
    report = import_snapshot(path, tmp_path / "rej.csv", warnings_path=tmp_path / "w.csv")
    rejected = rejects_of(tmp_path / "rej.csv")
    assert sorted(rejected) == [3, 4]
    for line in (3, 4):
        assert rejected[line] == (
            "roof_material: household columns disagree with line 2 of the same kk_number"
        )
    assert report.persons_written == 1
    assert warnings_of(tmp_path / "w.csv") == [("2", "roof_material", "3")]


# -- the --codes mapping ------------------------------------------------------------
def test_codes_translate_before_the_check_and_the_comparison(app_ctx, tmp_path, keyring):
    rows = household(KK1, 1, roof_material="3", drinking_water="PDAM", cooking_fuel="LPG 3kg")
    rows[1]["roof_material"] = "genteng"  # the same as "3" once mapped: not a disagreement
    codes = load_codes(
        write_map(
            tmp_path / "map.csv",
            [
                "roof_material,3,genteng",
                " drinking_water , PDAM , ledeng ",
                "toilet_facility,1,umum",
            ],
        )
    )
    path = write_csv(tmp_path / "s.csv", rows)
    report = import_snapshot(
        path, tmp_path / "rej.csv", warnings_path=tmp_path / "w.csv", codes=codes
    )
    assert report.rows_rejected == 0 and report.persons_written == 3
    h = stored(keyring, KK1)
    assert (h.roof_material, h.drinking_water, h.cooking_fuel) == ("genteng", "ledeng", "LPG 3kg")
    assert warnings_of(tmp_path / "w.csv") == [("2", "cooking_fuel", "LPG 3kg")]
    assert (report.warnings, report.codes_mapped) == (1, 2)


def test_codes_reach_the_worker_processes(app_ctx, tmp_path, keyring):
    rows = [
        r for i in range(1, 9) for r in household(f"32010115031000{i:02d}", i, roof_material="3")
    ]
    codes = load_codes(write_map(tmp_path / "map.csv", ["roof_material,3,beton"]))
    path = write_csv(tmp_path / "s.csv", rows)
    report = import_snapshot(path, None, workers=2, batch=3, codes=codes)
    assert report.households_new == 8 and report.codes_mapped == 8
    assert {h.roof_material for h in db.session.scalars(select(Household))} == {"beton"}


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["nik,3201011503100001,x"], "line 2: unknown column 'nik'"),
        (["floor_area_m2,36,40"], "line 2: unknown column 'floor_area_m2'"),
        (["roof_material,3,atap_genteng"], "line 2: portal_value 'atap_genteng' is not a"),
        (["roof_material,,genteng"], "line 2: source_value: required"),
        (["roof_material,3"], "line 2: expected 3 fields"),
        (
            ["roof_material,3,genteng", "wall_material,3,kayu", "roof_material,3,seng"],
            "line 4: roof_material '3' is mapped to 'genteng' on line 2 and to 'seng' here",
        ),
    ],
)
def test_a_wrong_mapping_is_refused_with_its_line(tmp_path, lines, message):
    with pytest.raises(CodesError) as caught:
        load_codes(write_map(tmp_path / "map.csv", lines))
    assert message in str(caught.value)


def test_mapping_file_needs_its_header(tmp_path):
    path = tmp_path / "map.csv"
    path.write_text("roof_material,3,genteng\n")
    with pytest.raises(CodesError, match="first line must be: column,source_value,portal_value"):
        load_codes(path)


def test_a_mapping_file_from_a_spreadsheet_loads(tmp_path):
    path = tmp_path / "map.csv"
    path.write_bytes(
        "\ufeffColumn,Source_value,Portal_value\r\nroof_material,3,genteng\r\n"
        "roof_material,3,genteng\r\n,,\r\n".encode()
    )
    assert load_codes(path) == {"roof_material": {"3": "genteng"}}


# -- re-importing changes nothing, with warnings and with a mapping ---------------
def test_reimport_with_warnings_and_codes_changes_nothing(app_ctx, tmp_path, keyring):
    rows = household(KK1, 1, roof_material="3", toilet_facility="WC") + household(KK2, 2)
    path = write_csv(tmp_path / "s.csv", rows)
    first = import_snapshot(path, None, warnings_path=tmp_path / "w1.csv")
    before = table_state()
    again = import_snapshot(path, None, warnings_path=tmp_path / "w2.csv")
    assert (again.households_unchanged, again.households_changed, again.persons_written) == (
        2,
        0,
        0,
    )
    assert table_state() == before
    assert first.warnings == again.warnings == 2
    assert warnings_of(tmp_path / "w1.csv") == warnings_of(tmp_path / "w2.csv")

    # A mapping for the same file changes what is stored: the household is updated …
    codes = load_codes(write_map(tmp_path / "map.csv", ["roof_material,3,genteng"]))
    mapped = import_snapshot(path, None, codes=codes)
    assert (mapped.households_changed, mapped.households_unchanged) == (1, 1)
    assert stored(keyring, KK1).roof_material == "genteng"
    # … once: the same file with the same mapping again changes nothing.
    before = table_state()
    same = import_snapshot(path, None, codes=codes)
    assert (same.households_changed, same.households_unchanged) == (0, 2)
    assert table_state() == before
    # Without the mapping the value as given comes back.
    import_snapshot(path, None)
    assert stored(keyring, KK1).roof_material == "3"


# -- the command ------------------------------------------------------------------
def test_command_writes_warnings_beside_the_file_and_counts_them(app, tmp_path, keyring):
    path = write_csv(
        tmp_path / "snap.csv", household(KK1, 1, roof_material="3", home_ownership="9")
    )
    result = app.test_cli_runner().invoke(args=["dtsen", "import", str(path), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "0 rejected, 2 unknown codes kept as given, 0 codes mapped" in result.output
    assert f"unknown condition values written to {tmp_path / 'snap.warnings.csv'}" in result.output
    assert warnings_of(tmp_path / "snap.warnings.csv") == [
        ("2", "roof_material", "3"),
        ("2", "home_ownership", "9"),
    ]


def test_command_takes_codes_and_a_warnings_path(app, tmp_path, keyring):
    path = write_csv(
        tmp_path / "snap.csv", household(KK1, 1, roof_material="3", home_ownership="9")
    )
    mapping = write_map(tmp_path / "map.csv", ["home_ownership,9,lainnya"])
    args = ["dtsen", "import", str(path), "--quiet", "--codes", str(mapping)]
    result = app.test_cli_runner().invoke(args=[*args, "--warnings", str(tmp_path / "w.csv")])
    assert result.exit_code == 0, result.output
    assert "1 unknown codes kept as given, 1 codes mapped" in result.output
    assert warnings_of(tmp_path / "w.csv") == [("2", "roof_material", "3")]
    with app.app_context():
        assert stored(keyring, KK1).home_ownership == "lainnya"


def test_command_stops_on_a_wrong_mapping_before_importing(app, tmp_path):
    path = write_csv(tmp_path / "snap.csv", household(KK1, 1))
    mapping = write_map(tmp_path / "map.csv", ["roof_material,3,genteng", "atap,3,genteng"])
    args = ["dtsen", "import", str(path), "--quiet", "--codes", str(mapping)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1
    assert "line 3: unknown column 'atap'" in result.output
    assert "nothing imported" in result.output
    with app.app_context():
        assert count(Household) == count(Person) == count(ImportRun) == 0
    assert not (tmp_path / "snap.rejects.csv").exists()


def test_command_help_documents_the_mapping_format(app):
    result = app.test_cli_runner().invoke(args=["dtsen", "import", "--help"])
    assert "column,source_value,portal_value" in result.output
    assert "roof_material,3,genteng" in result.output
    assert "--warnings" in result.output and "--codes" in result.output
