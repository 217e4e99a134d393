"""Office performance (issue 12 §5): every figure of the page against the
hand-computed world of ``performance_fixtures`` (the expected numbers are
written there by hand), the CSV equal to the table, and the refresh idempotent."""

from __future__ import annotations

import csv
import datetime as dt
import io
from html.parser import HTMLParser

from sqlalchemy import select

from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.staff.models import StaffUser
from portal.tickets import performance
from portal.tickets.models import Ticket
from portal.tickets.performance_models import PerformanceFigures
from tests.office import performance_fixtures as pf
from tests.staff.conftest import log_in, make_staff
from tests.web.conftest import clean_limits  # noqa: F401 - autouse

# The fixtures this module uses (clean_limits is autouse).
clock, world = pf.clock, pf.world


def refresh(app, now=pf.NOW) -> None:
    with app.app_context(), transaction():
        performance.refresh(now)


def rows(app) -> dict[str, dict]:
    with app.app_context():
        return {
            f.scope: {c.name: getattr(f, c.name) for c in PerformanceFigures.__table__.columns}
            for f in db.session.scalars(select(PerformanceFigures))
        }


def name_of(app, code: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Office.name).where(Office.code == code))


class Tables(HTMLParser):
    """The cell texts of every ``<table>`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> list[list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def logged_in(app, clock, role: str, office: str):
    account = make_staff(app, role, office=office)
    client = app.test_client()
    assert log_in(client, account, clock).status_code == 303
    return client, account


# -- the stored figures ---------------------------------------------------------------
def test_every_figure_of_every_scope_by_hand(app, world):
    refresh(app)
    got = rows(app)
    for scope, expected in pf.EXPECTED.items():
        f = got[scope]
        counted = f["decided"] + f["open_past_decision"]
        share = f"{100 * f['on_time'] / counted:.1f}" if counted else "–"
        average = f"{f['rating_sum'] / f['rating_count']:.2f}" if f["rating_count"] else "–"
        oldest = next((n for n, r in world.refs.items() if r == f["oldest_reference"]), None)
        actual = (
            f["open_count"], f["overdue_count"], f["on_time"], counted, share, f["triaged"],
            f["triage_median"], f["triage_p90"], f["decided"], f["decision_median"],
            f["decision_p90"], f["rating_count"], average, oldest,
        )  # fmt: skip
        assert actual == expected[:-1], scope
    bogor = got[pf.BOGOR]
    assert (bogor["period_start"], bogor["period_end"]) == (dt.date(2025, 4, 16), pf.TODAY)
    assert (bogor["level"], bogor["parent"]) == ("regency", "prov-32")
    assert (got["prov-32"]["level"], got["prov-32"]["parent"]) == ("province", "national")
    # an office without tickets has a row of zeros
    empty = got["dinsos-32.03"]
    assert (empty["open_count"], empty["decided"], empty["triage_median"]) == (0, 0, None)


def test_a_decision_on_the_deadline_is_on_time_and_the_day_after_is_not(app, world):
    """B2 was decided on 14 Apr with its deadline (at that decision) on 13
    Apr: late. With that deadline moved to the 14th it is on time."""
    with app.app_context(), transaction():
        ticket = db.session.get(Ticket, world.ids["B2"])
        ticket.first_due_decision = dt.date(2026, 4, 14)
    refresh(app)
    assert rows(app)[pf.BOGOR]["on_time"] == 1


def test_an_appeal_does_not_make_a_late_first_decision_on_time(app, world):
    """B1 (real workflow moves): first decided 11 Mar, a day after its
    deadline of 10 Mar; the appeal of 16 Mar moved due_decision to 15 May.
    The first decision still counts as late."""
    with app.app_context():
        b1 = db.session.get(Ticket, world.ids["B1"])
        assert b1.status == "rejected" and b1.appealed_at is not None
        assert (b1.due_decision, b1.first_due_decision) == (
            dt.date(2026, 5, 15),
            dt.date(2026, 3, 10),
        )
    refresh(app)
    bogor = rows(app)[pf.BOGOR]
    assert (bogor["decided"], bogor["on_time"]) == (2, 0)
    # its deadline at the first decision moved to the day of that decision: on time
    with app.app_context(), transaction():
        db.session.get(Ticket, world.ids["B1"]).first_due_decision = dt.date(2026, 3, 11)
    refresh(app)
    assert rows(app)[pf.BOGOR]["on_time"] == 1


def test_a_ticket_decided_outside_the_workflow_counts_against_its_due_decision(app, world):
    """Generated data (the benchmark) has no first_due_decision: the current
    deadline stands in for it."""
    with app.app_context(), transaction():
        ticket = db.session.get(Ticket, world.ids["B2"])
        ticket.first_due_decision = None
        ticket.due_decision = dt.date(2026, 4, 14)
    refresh(app)
    assert rows(app)[pf.BOGOR]["on_time"] == 1


def test_percentiles_by_nearest_rank():
    assert performance.percentile([], 50) is None
    assert performance.percentile([7], 90) == 7
    assert performance.percentile([4, 1, 3, 2], 50) == 2
    assert performance.percentile(list(range(1, 11)), 90) == 9
    assert performance.percentile(list(range(1, 12)), 90) == 10


# -- the pages --------------------------------------------------------------------------
def test_the_national_page_shows_every_figure(app, world, clock):
    refresh(app)
    client, _ = logged_in(app, clock, "supervisor", "national")
    page = client.get("/office/performance")
    assert page.status_code == 200
    table = tables_of(page.text)[0]
    body = {row[1]: row for row in table[1:]}
    for scope in ("national", "prov-32", "prov-31"):
        assert body[scope] == pf.expected_cells(world, scope, name_of(app, scope)), scope
    assert table[1][1] == "national"  # the total first, then the provinces
    assert len(table) == 1 + 1 + 38
    assert "10:00" in page.text  # figures as of 10:00 WIB
    assert 'role="img"' in page.text and "<title" in page.text and "<desc" in page.text
    assert "/office/performance/prov-32" in page.text
    assert f'href="/office/tickets/{world.refs["O1"]}"' in page.text  # the oldest, linked


def test_the_province_page_shows_its_offices(app, world, clock):
    refresh(app)
    client, _ = logged_in(app, clock, "supervisor", "prov-32")
    table = tables_of(client.get("/office/performance").text)[0]
    body = {row[1]: row for row in table[1:]}
    assert table[1][1] == "prov-32"
    for scope in ("prov-32", pf.BOGOR, pf.BANDUNG_OFFICE):
        assert body[scope] == pf.expected_cells(world, scope, name_of(app, scope)), scope
    assert not any(code.startswith("dinsos-31.") for code in body)
    # the drill-down to an office of the province, with its workload
    office = client.get(f"/office/performance/{pf.BOGOR}")
    assert office.status_code == 200
    tables = tables_of(office.text)
    assert tables[0][1] == pf.expected_cells(world, pf.BOGOR, name_of(app, pf.BOGOR))


def test_the_office_page_and_its_handlers_workload(app, world, clock):
    refresh(app)
    client, _ = logged_in(app, clock, "handler", pf.BOGOR)
    page = client.get("/office/performance")
    figures, workload = tables_of(page.text)
    assert figures[1:] == [pf.expected_cells(world, pf.BOGOR, name_of(app, pf.BOGOR))]
    by_name = {row[0]: row[1:] for row in workload[1:]}
    with app.app_context():
        names = {
            key: db.session.get(StaffUser, world.staff[key].id).display_name for key in ("h1", "h2")
        }
    for key, (n_open, n_late) in pf.WORKLOAD.items():
        assert by_name[names[key]] == [str(n_open), str(n_late)]
    # the account itself: a handler of the office holding nothing
    assert ["0", "0"] in by_name.values()


def test_the_csv_holds_exactly_the_table(app, world, clock):
    refresh(app)
    client, _ = logged_in(app, clock, "supervisor", "national")
    for page_url, csv_url in [
        ("/office/performance", "/office/performance.csv"),
        ("/office/performance/prov-32", "/office/performance/prov-32.csv"),
        (f"/office/performance/{pf.BOGOR}", f"/office/performance/{pf.BOGOR}.csv"),
    ]:
        table = tables_of(client.get(page_url).text)[0]
        response = client.get(csv_url)
        assert response.status_code == 200, csv_url
        assert response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        assert list(csv.reader(io.StringIO(response.text))) == table, csv_url
    workload_page = tables_of(client.get(f"/office/performance/{pf.BOGOR}").text)[1]
    workload_csv = client.get(f"/office/performance/{pf.BOGOR}.csv?table=handlers")
    assert list(csv.reader(io.StringIO(workload_csv.text))) == workload_page


def test_figures_more_than_an_hour_old_are_flagged(app, world, clock):
    refresh(app, pf.NOW - dt.timedelta(minutes=61))
    client, _ = logged_in(app, clock, "handler", pf.BOGOR)
    assert "more than an hour old" in client.get("/office/performance?lang=en").text
    refresh(app, pf.NOW - dt.timedelta(minutes=59))
    assert "more than an hour old" not in client.get("/office/performance?lang=en").text


def test_before_the_first_refresh_the_page_says_so(app, world, clock):
    client, _ = logged_in(app, clock, "supervisor", "prov-32")
    page = client.get("/office/performance")
    assert page.status_code == 200
    assert "performance-refresh" in page.text


# -- the refresh ---------------------------------------------------------------------------
def test_the_refresh_is_idempotent(app, world):
    refresh(app)
    first = rows(app)
    refresh(app)
    assert rows(app) == first
    # later, the same tickets: only the time-dependent figures move
    refresh(app, pf.NOW + dt.timedelta(days=1))
    later = rows(app)
    assert len(later) == len(first)
    assert later[pf.BOGOR]["overdue_count"] == 3  # B5 is due on the 17th
    refresh(app, pf.NOW + dt.timedelta(days=3))  # Sat 18 Apr: B5 overdue now
    assert rows(app)[pf.BOGOR]["overdue_count"] == 4


def test_the_command_refreshes(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tickets", "performance-refresh"])
    assert result.exit_code == 0, result.output
    assert "rows" in result.output
    again = runner.invoke(args=["tickets", "performance-refresh"])
    assert again.exit_code == 0
    with app.app_context():
        assert (
            db.session.scalar(
                select(PerformanceFigures.open_count).where(PerformanceFigures.scope == pf.BOGOR)
            )
            == 5
        )
