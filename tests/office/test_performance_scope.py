"""Who sees which performance figures (issue 12 §5): the viewer's own scope
at ``/office/performance``, a drill-down only within their region (404
outside it, as a ticket), and no page at all for the other roles."""

from __future__ import annotations

import pytest

from tests.office import performance_fixtures as pf
from tests.office.test_performance import logged_in, refresh, tables_of
from tests.web.conftest import clean_limits  # noqa: F401 - autouse

OFFICES = ("national", "prov-32", "prov-31", pf.BOGOR, pf.BANDUNG_OFFICE, pf.JAKARTA_OFFICE)

#: (role, office) -> (the scope of /office/performance, the codes it may open).
CASES = {
    ("supervisor", "national"): ("national", {*OFFICES, "dinsos-32.03"}),
    ("supervisor", "prov-32"): (
        "prov-32",
        {"prov-32", pf.BOGOR, pf.BANDUNG_OFFICE, "dinsos-32.03"},
    ),
    ("supervisor", "prov-31"): ("prov-31", {"prov-31", pf.JAKARTA_OFFICE}),
    ("supervisor", pf.BOGOR): (pf.BOGOR, {pf.BOGOR}),
    ("handler", pf.BOGOR): (pf.BOGOR, {pf.BOGOR}),
    ("handler", pf.BANDUNG_OFFICE): (pf.BANDUNG_OFFICE, {pf.BANDUNG_OFFICE}),
    # a handler sees their own office only, whatever its level: none of the
    # kab/kota pages (with their handlers' names) under a province or the nation
    ("handler", "prov-32"): ("prov-32", {"prov-32"}),
    ("handler", "national"): ("national", {"national"}),
}


clock = pf.clock


@pytest.fixture
def world(app, db_clean):
    w = pf.build(app)
    refresh(app)
    return w


@pytest.mark.parametrize(("role", "office"), list(CASES))
def test_each_viewer_sees_their_region_only(app, world, clock, role, office):
    home, may_open = CASES[(role, office)]
    client, _ = logged_in(app, clock, role, office)
    table = tables_of(client.get("/office/performance").text)[0]
    assert table[1][1] == home  # the total row is the viewer's own scope
    csv_text = client.get("/office/performance.csv").text
    assert f",{home}," in csv_text.splitlines()[1]
    for code in (*OFFICES, "dinsos-32.03", "no-such-office"):
        allowed = code in may_open
        for url in (f"/office/performance/{code}", f"/office/performance/{code}.csv"):
            expected = 200 if allowed else 404
            assert client.get(url).status_code == expected, (role, office, url)


@pytest.mark.parametrize("office", ["prov-32", "national"])
def test_a_handler_of_a_province_or_the_nation_sees_the_total_row_only(app, world, clock, office):
    client, _ = logged_in(app, clock, "handler", office)
    page = client.get("/office/performance")
    tables = tables_of(page.text)
    assert len(tables) == 1 and len(tables[0]) == 2  # the header and the total
    assert tables[0][1][1] == office
    assert "/office/performance/" not in page.text  # no drill-down links
    rows = client.get("/office/performance.csv").text.splitlines()
    assert len(rows) == 2 and f",{office}," in rows[1]


def test_a_province_page_lists_only_its_offices(app, world, clock):
    client, _ = logged_in(app, clock, "supervisor", "prov-31")
    text = client.get("/office/performance").text
    assert pf.JAKARTA_OFFICE in text
    assert pf.BOGOR not in text and "prov-32" not in text


def test_the_workload_is_only_on_a_kab_kota_page(app, world, clock):
    client, _ = logged_in(app, clock, "supervisor", "national")
    assert len(tables_of(client.get("/office/performance").text)) == 1
    assert client.get("/office/performance.csv?table=handlers").status_code == 404
    assert len(tables_of(client.get(f"/office/performance/{pf.BOGOR}").text)) == 2


@pytest.mark.parametrize("role", ["operator", "admin", "field_officer"])
def test_other_roles_have_no_performance_page(app, world, clock, role):
    from tests.staff.conftest import log_in, make_staff
    from tests.staff.test_permissions import BOGOR_A

    place = {
        "operator": {"village": BOGOR_A},
        "admin": {"office": "national"},
        "field_officer": {"office": pf.BOGOR, "districts": (BOGOR_A.rsplit(".", 1)[0],)},
    }[role]
    account = make_staff(app, role, **place)
    client = app.test_client()
    log_in(client, account, clock)
    for url in (
        "/office/performance",
        "/office/performance.csv",
        f"/office/performance/{pf.BOGOR}",
    ):
        assert client.get(url).status_code == 403, (role, url)


def test_the_menu_entry_is_for_handlers_and_supervisors(app):
    from portal.web.office import nav

    entry = next(e for e in nav._ENTRIES if e.endpoint == "office.performance")
    assert set(entry.roles) == {"handler", "supervisor"} and entry.order == 40
