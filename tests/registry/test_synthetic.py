"""``portal.registry.synthetic``: a realistic, valid and deterministic DTSEN snapshot."""

from __future__ import annotations

import csv
import datetime as dt
from itertools import groupby
from pathlib import Path

import pytest
from lokal import parse_nik

from portal.registry import names, synthetic, synthetic_identity, synthetic_tables
from portal.registry.models import RELATIONSHIPS
from portal.registry.schema import CONDITION_VALUES, CSV_COLUMNS, HOUSEHOLD_COLUMNS
from portal.registry.synthetic import generate_csv

HOUSEHOLDS = 3000
YEAR = 365.25


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def by_household(rows: list[dict[str, str]]) -> list[list[dict[str, str]]]:
    return [list(group) for _, group in groupby(rows, key=lambda r: r["kk_number"])]


def years_between(earlier: str, later: str) -> float:
    return (dt.date.fromisoformat(later) - dt.date.fromisoformat(earlier)).days / YEAR


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> tuple[Path, synthetic.GenerateStats]:
    path = tmp_path_factory.mktemp("synthetic") / "snapshot.csv"
    stats = generate_csv(path, households=HOUSEHOLDS, seed=7)
    return path, stats


@pytest.fixture(scope="module")
def rows(snapshot) -> list[dict[str, str]]:
    return read_rows(snapshot[0])


@pytest.fixture(scope="module")
def households(rows) -> list[list[dict[str, str]]]:
    return by_household(rows)


def test_header_is_the_schema_and_lines_end_in_newline(snapshot):
    raw = snapshot[0].read_bytes()
    assert raw.split(b"\n", 1)[0].decode() == ",".join(CSV_COLUMNS)
    assert b"\r" not in raw
    assert raw.endswith(b"\n")


def test_stats_count_what_was_written(snapshot, rows, households):
    _, stats = snapshot
    assert stats.households == len(households) == HOUSEHOLDS
    assert stats.persons == len(rows)
    assert 3.6 <= len(rows) / HOUSEHOLDS <= 4.3


def test_same_seed_gives_the_same_bytes(tmp_path):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    generate_csv(a, households=300, seed=11)
    generate_csv(b, households=300, seed=11)
    generate_csv(c, households=300, seed=12)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_every_nik_is_valid_and_matches_the_person(rows):
    for row in rows:
        info = parse_nik(row["nik"])
        assert info.valid, info.errors
        assert info.birth_date == row["birth_date"]
        assert info.gender == row["sex"]
        assert info.district_code == row["village_code"][:8]


def test_nik_and_kk_numbers_are_unique(rows, households):
    assert len({r["nik"] for r in rows}) == len(rows)
    kk_numbers = [h[0]["kk_number"] for h in households]
    assert len(set(kk_numbers)) == len(kk_numbers) == HOUSEHOLDS


def test_kk_number_is_district_issue_date_and_serial(households):
    for household in households:
        kk = household[0]["kk_number"]
        assert kk.isdigit() and len(kk) == 16
        assert kk[:6] == household[0]["village_code"][:8].replace(".", "")
        issued = dt.datetime.strptime(kk[6:12], "%d%m%y").date()
        assert synthetic_identity.FIRST_KK_ISSUE <= issued <= synthetic_identity.SNAPSHOT_DATE
        assert issued.isoformat() >= max(r["birth_date"] for r in household)
        assert kk[12:] != "0000"


def test_households_are_contiguous_with_equal_household_columns(rows, households):
    assert len(households) == len({r["kk_number"] for r in rows})
    for household in households:
        first = household[0]
        for row in household[1:]:
            assert [row[c] for c in HOUSEHOLD_COLUMNS] == [first[c] for c in HOUSEHOLD_COLUMNS]


def test_head_comes_first_once_with_a_plausible_family(households):
    sizes = [len(h) for h in households]
    assert min(sizes) == 1 and max(sizes) <= 9
    for household in households:
        head, *others = household
        assert head["relationship"] == "kepala_keluarga"
        assert all(r["relationship"] != "kepala_keluarga" for r in others)
        spouses = [r for r in others if r["relationship"] in ("istri", "suami")]
        assert len(spouses) <= 1
        for spouse in spouses:
            assert (spouse["relationship"], spouse["sex"], head["sex"]) in (
                ("istri", "P", "L"),
                ("suami", "L", "P"),
            )


def test_ages_are_consistent_within_a_household(households):
    for household in households:
        head = household[0]
        parents = [
            r for r in household if r["relationship"] in ("kepala_keluarga", "istri", "suami")
        ]
        for row in household:
            relationship = row["relationship"]
            if relationship == "anak":
                assert all(years_between(p["birth_date"], row["birth_date"]) >= 16 for p in parents)
            elif relationship == "cucu":
                assert years_between(head["birth_date"], row["birth_date"]) >= 32
            elif relationship == "orang_tua":
                assert years_between(row["birth_date"], head["birth_date"]) >= 16


def test_values_are_in_their_domains(rows):
    for row in rows:
        assert row["relationship"] in RELATIONSHIPS
        assert row["sex"] in ("L", "P")
        assert row["full_name"].strip() and len(row["full_name"]) <= 120
        assert 0 < len(row["address"]) <= 200 and "RT " in row["address"]
        assert "1935-01-01" <= row["birth_date"] <= "2025-12-31"
        assert "2023-01-01" <= row["updated_at"] <= "2025-12-31"
        assert row["updated_at"] >= row["birth_date"]
        assert 12 <= int(row["floor_area_m2"]) <= 300
        for column, allowed in CONDITION_VALUES.items():
            assert row[column] in allowed


def test_desil_mixes_ranked_and_unranked(households):
    desil = [h[0]["desil"] for h in households]
    unranked = desil.count("") / len(desil)
    assert 0.03 <= unranked <= 0.12
    assert {d for d in desil if d} == {str(d) for d in range(1, 11)}


def test_programs_follow_the_desil_rules(households):
    received = 0
    for household in households:
        desil, programs = household[0]["desil"], household[0]["programs"]
        codes = programs.split(";") if programs else []
        assert len(set(codes)) == len(codes)
        if not desil:
            assert codes == []
            continue
        if "PKH" in codes:
            assert int(desil) <= 4
        if "SEMBAKO" in codes or "PBI_JK" in codes:
            assert int(desil) <= 5
        received += bool(codes)
    eligible = sum(1 for h in households if h[0]["desil"] and int(h[0]["desil"]) <= 5)
    assert 0 < received < eligible


def test_poorer_households_live_in_poorer_houses(households):
    def share_with_earth_or_bamboo_floor(desils: set[str]) -> float:
        group = [h[0] for h in households if h[0]["desil"] in desils]
        return sum(r["floor_material"] in ("tanah", "bambu") for r in group) / len(group)

    assert share_with_earth_or_bamboo_floor({"1", "2"}) > 3 * share_with_earth_or_bamboo_floor(
        {"9", "10"}
    )


def test_regions_restrict_villages(tmp_path):
    path = tmp_path / "bandung.csv"
    stats = generate_csv(path, households=200, seed=3, regions=["32.01", "3374"])
    codes = {r["village_code"] for r in read_rows(path)}
    assert stats.households == 200
    assert all(c.startswith(("32.01.", "33.74.")) for c in codes)
    assert any(c.startswith("32.01.") for c in codes)


def test_a_single_district_still_gives_unique_numbers(tmp_path):
    path = tmp_path / "district.csv"
    generate_csv(path, households=1500, seed=5, regions=["32.01.01"])
    rows = read_rows(path)
    assert {r["village_code"][:8] for r in rows} == {"32.01.01"}
    assert len({r["nik"] for r in rows}) == len(rows)
    assert len({r["kk_number"] for r in rows}) == 1500


def test_unknown_region_is_an_error(tmp_path):
    with pytest.raises(ValueError, match=r"99\.99"):
        generate_csv(tmp_path / "x.csv", households=10, seed=1, regions=["32.01", "99.99"])


def test_zero_households_writes_only_the_header(tmp_path):
    path = tmp_path / "empty.csv"
    stats = generate_csv(path, households=0, seed=1)
    assert (stats.households, stats.persons) == (0, 0)
    assert path.read_text(encoding="utf-8") == ",".join(CSV_COLUMNS) + "\n"


def test_a_full_day_of_nik_serials_moves_to_another_day():
    book = synthetic_identity._SerialBook("32.01.01")
    birth = synthetic_identity._day(dt.date(1980, 5, 17))
    for _ in range(synthetic_identity.MAX_SERIAL):
        _, used = book.nik(birth, "P")
        assert used == birth
    nik, moved = book.nik(birth, "P")
    assert moved != birth
    info = parse_nik(nik)
    assert info.valid
    assert (
        info.birth_date == (synthetic_identity.FIRST_BIRTH + dt.timedelta(days=moved)).isoformat()
    )


def test_condition_weights_cover_exactly_the_schema_values():
    for column, allowed in CONDITION_VALUES.items():
        assert set(synthetic_tables._CONDITION_WEIGHTS[column]) == set(allowed)
    assert set(synthetic_tables._CONDITION_WEIGHTS) == set(CONDITION_VALUES)


@pytest.mark.parametrize("key", sorted(names.CULTURES))
def test_men_and_women_have_different_first_names(key):
    culture = names.CULTURES[key]
    men = set(culture.male) | set(culture.male_modern)
    women = set(culture.female) | set(culture.female_modern)
    assert men and women and not men & women


def test_every_province_has_cultures_that_exist():
    for mix in names.PROVINCE_CULTURES.values():
        assert set(mix) <= set(names.CULTURES)
