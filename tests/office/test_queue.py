"""The queue at /office/: order, badges, filters, counts, pages, the jump to a
ticket, refused filters and who sees what (SECURITY.md AU4).

Today is Tuesday 17 March 2026 (``queue_fixtures``): 18–24 March have no
working day (Nyepi, Idulfitri, cuti bersama, a weekend). Expected badges are
counted by hand on that calendar.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.office import queue_fixtures as fx
from tests.office.queue_fixtures import (
    BANDUNG,
    BANDUNG_VILLAGE,
    BOGOR,
    BOGOR_A,
    BOGOR_B,
    log_in,
    make_staff,
)

# The fixtures this module uses (clean_limits is autouse).
clean_limits, clock, tickets = fx.clean_limits, fx.clock, fx.tickets
pytestmark = pytest.mark.usefixtures("db_clean")
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
LINK = re.compile(r'href="/office/tickets/(DT-[A-Z0-9]{4}-[A-Z0-9]{4})"')
D = dt.date


def rows(html: str) -> dict[str, str]:
    """Reference → its table row, in the page's order."""
    out = {}
    for row in ROW.findall(html):
        found = LINK.search(row)
        if found:
            out[found.group(1)] = row
    return out


def listed(client, query: str = "") -> list[str]:
    page = client.get(f"/office/?lang=en{'&' + query if query else ''}")
    assert page.status_code == 200
    return list(rows(page.text))


@pytest.fixture
def handler(app, client, clock):
    account = make_staff(app, "handler", office=BOGOR)
    log_in(client, account, clock)
    return account


def test_most_urgent_first_and_undated_last_by_id(tickets, client, handler):
    later = tickets.add(due=D(2026, 3, 27))
    paused = tickets.add(due=None, status="needs_info")
    overdue = tickets.add(due=D(2026, 3, 12))
    today = tickets.add(due=D(2026, 3, 17))
    yesterday = tickets.add(due=D(2026, 3, 16))
    decided = tickets.add(due=None, status="accepted")
    after_holidays = tickets.add(due=D(2026, 3, 25))
    assert listed(client) == [
        overdue,
        yesterday,
        today,
        after_holidays,
        later,
        paused,
        decided,
    ]


@pytest.mark.parametrize(
    ("due", "text"),
    [
        (D(2026, 3, 12), "Overdue by 3 working days"),  # Fri 13, Mon 16, Tue 17
        (D(2026, 3, 16), "Overdue by 1 working day"),
        (D(2026, 3, 14), "Overdue by 2 working days"),  # a Saturday: Mon 16, Tue 17
        (D(2026, 3, 17), "Due today"),
        (D(2026, 3, 20), "Due today"),  # a holiday, no working day before it
        (D(2026, 3, 25), "Due in 1 working day"),  # 18–24 are off
        (D(2026, 3, 27), "Due in 3 working days"),
        (D(2026, 3, 30), "Due in 4 working days"),  # the weekend 28–29 is off
    ],
)
def test_the_deadline_badge_counts_working_days(tickets, client, handler, due, text):
    reference = tickets.add(due=due)
    row = rows(client.get("/office/?lang=en").text)[reference]
    assert text in row
    assert ("badge-overdue" in row) is text.startswith("Overdue")


def test_a_row_shows_what_the_list_needs(tickets, app, client, handler):
    colleague = make_staff(app, "handler", office=BOGOR)
    reference = tickets.add(kind="objection", status="in_review", assignee=colleague.id)
    tickets.add_evidence(reference, 3)
    unassigned = tickets.add()
    page = rows(client.get("/office/?lang=en").text)
    row = page[reference]
    assert "Objection" in row
    assert "In review" in row and BOGOR_A in row
    assert f"handler {colleague.email}" in row
    assert "<td>3</td>" in row
    assert "Nobody" in page[unassigned] and "<td>0</td>" in page[unassigned]


def test_every_filter(tickets, app, client, handler):
    colleague = make_staff(app, "handler", office=BOGOR)
    new = tickets.add(due=D(2026, 3, 25))
    late_objection = tickets.add(kind="objection", status="in_review", due=D(2026, 3, 16))
    mine = tickets.add(status="field_check", due=D(2026, 3, 26), assignee=handler.id)
    theirs = tickets.add(status="verified", due=D(2026, 3, 27), assignee=colleague.id)
    other_village = tickets.add(village=BOGOR_B, kind="correction", due=D(2026, 3, 30))
    assert listed(client, "status=in_review") == [late_objection]
    assert listed(client, "status=field_check&status=verified") == [mine, theirs]
    assert listed(client, "kind=objection") == [late_objection]
    assert listed(client, "kind=correction") == [other_village]
    assert listed(client, "overdue=1") == [late_objection]
    assert listed(client, "assignee=me") == [mine]
    assert listed(client, f"assignee={colleague.id}") == [theirs]
    assert listed(client, "assignee=none") == [late_objection, new, other_village]
    assert listed(client, f"village={BOGOR_B}") == [other_village]
    assert listed(client, "status=submitted&kind=objection") == []


def test_counts_per_status_due_today_and_overdue(tickets, app, client, handler):
    from portal.staff.models import StaffUser
    from portal.tickets.queue import counts
    from tests.office.queue_fixtures import TODAY, office_id

    for due in (D(2026, 3, 12), D(2026, 3, 16), D(2026, 3, 17)):
        tickets.add(due=due)
    tickets.add(status="in_review", due=D(2026, 3, 17))
    tickets.add(status="in_review", due=D(2026, 3, 25))
    tickets.add(status="needs_info", due=None)
    tickets.add(office=BANDUNG, village=BANDUNG_VILLAGE, due=D(2026, 3, 1))  # not ours
    from portal.extensions import db
    from portal.regions.models import Office

    with app.app_context():
        user = db.session.get(StaffUser, handler.id)
        result = counts(user, db.session.get(Office, office_id(BOGOR)), TODAY)
    assert result.by_status == {"submitted": 3, "in_review": 2, "needs_info": 1}
    assert (result.overdue, result.due_today, result.total) == (2, 2, 6)
    text = client.get("/office/?lang=en").text
    assert "Overdue: <strong>2</strong>" in text
    assert "Due today: <strong>2</strong>" in text
    assert "New, to triage: <strong>3</strong>" in text
    assert "In review: <strong>2</strong>" in text
    assert "All: <strong>6</strong>" in text


def test_pages_of_25(tickets, client, handler):
    dated = [tickets.add(due=D(2026, 3, 25) + dt.timedelta(days=i)) for i in range(27)]
    undated = [tickets.add(due=None, status="needs_info") for _ in range(3)]
    first = client.get("/office/?lang=en&kind=proposal").text
    assert list(rows(first)) == dated[:25]
    assert 'href="/office/?lang=en&amp;kind=proposal&amp;page=2" rel="next"' in first
    assert 'rel="prev"' not in first
    second = client.get("/office/?lang=en&kind=proposal&page=2").text
    assert list(rows(second)) == dated[25:] + undated
    assert 'rel="next"' not in second and 'page=1" rel="prev"' in second
    assert list(rows(client.get("/office/?page=3").text)) == []


@pytest.mark.parametrize(("n_dated", "n_undated"), [(7, 0), (0, 7), (6, 3), (3, 6), (4, 4)])
def test_pages_join_dated_and_undated_tickets(tickets, app, handler, n_dated, n_undated):
    """Every page size boundary: the pages together are the whole queue, once."""
    from portal.extensions import db
    from portal.regions.models import Office
    from portal.staff.models import StaffUser
    from portal.tickets.queue import QueueFilters, fetch_page
    from tests.office.queue_fixtures import TODAY, office_id

    dated = [tickets.add(due=D(2026, 4, 1) + dt.timedelta(days=i)) for i in range(n_dated)]
    undated = [tickets.add(due=None, status="accepted") for _ in range(n_undated)]
    seen, page = [], 1
    with app.app_context():
        user = db.session.get(StaffUser, handler.id)
        office = db.session.get(Office, office_id(BOGOR))
        while True:
            result = fetch_page(user, office, QueueFilters(), TODAY, page, per_page=3)
            seen += [r.reference for r in result.rows]
            if not result.has_next or page > 10:
                break
            page += 1
    assert seen == dated + undated
    assert page == max(1, -(-(n_dated + n_undated) // 3))


def test_a_typed_reference_opens_its_ticket(tickets, client, handler):
    reference = tickets.add()
    answer = client.get(f"/office/?q={reference}")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/office/tickets/{reference}"
    typed = reference.lower().replace("-", " ")
    assert client.get(f"/office/?q={typed}").headers["Location"] == f"/office/tickets/{reference}"


def test_a_reference_not_visible_is_not_revealed(tickets, client, handler):
    elsewhere = tickets.add(office=BANDUNG, village=BANDUNG_VILLAGE)
    for q in (elsewhere, "DT-2222-2222"):
        page = client.get(f"/office/?lang=en&q={q}")
        assert page.status_code == 200
        assert "No ticket you can see has the number" in page.text
    nonsense = client.get("/office/?lang=en&q=nonsense")
    assert "That is not a ticket number" in nonsense.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=bogus", "Choose statuses from the list"),
        ("status=submitted&status=x", "Choose statuses from the list"),
        ("kind=complaint", "Choose a kind of request from the list"),
        ("overdue=yes", "Choose a deadline from the list"),
        ("assignee=boss", "Choose who the tickets are assigned to from the list"),
        ("assignee=-1", "Choose who the tickets are assigned to from the list"),
        ("village=32.01", "Enter a village code like 32.01.01.2001"),
        ("page=0", "Choose a page number from 1"),
        ("page=abc", "Not a valid integer value."),
        ("page=99999999", "Choose a page number from 1"),
    ],
)
def test_invalid_filters_are_explained_not_500(tickets, client, handler, query, message):
    reference = tickets.add()
    page = client.get(f"/office/?lang=en&{query}")
    assert page.status_code == 200
    assert 'class="error-summary"' in page.text and message in page.text
    assert page.text.count("<title>Error:") == 1
    assert reference not in page.text


def test_invalid_filters_are_translated(client, handler):
    page = client.get("/office/?lang=id&kind=complaint")
    assert page.status_code == 200
    assert "Choose a kind of request from the list" not in page.text
    assert 'class="error-summary"' in page.text


def test_a_handler_sees_only_their_office(tickets, app, client, clock):
    ours = tickets.add()
    theirs = tickets.add(office=BANDUNG, village=BANDUNG_VILLAGE, due=D(2026, 3, 1))
    bandung = make_staff(app, "handler", office=BANDUNG)
    log_in(client, bandung, clock)
    assert listed(client) == [theirs]
    assert listed(client, f"village={BOGOR_A}") == []
    assert ours not in client.get("/office/").text


def test_an_operator_sees_only_their_village(tickets, app, client, clock):
    village_a = tickets.add(village=BOGOR_A)
    tickets.add(village=BOGOR_B, due=D(2026, 3, 1))
    tickets.add(office=BANDUNG, village=BANDUNG_VILLAGE, due=D(2026, 3, 1))
    operator = make_staff(app, "operator", village=BOGOR_A)
    log_in(client, operator, clock)
    page = client.get("/office/?lang=en").text
    assert list(rows(page)) == [village_a]
    assert "Claim the next ticket" not in page and 'name="ticket"' not in page
    assert listed(client, f"village={BOGOR_B}") == []


def test_an_admin_sees_an_empty_queue(tickets, app, client, clock):
    tickets.add()
    admin = make_staff(app, "admin", office="national")
    log_in(client, admin, clock)
    assert listed(client) == []


def test_every_status_has_an_office_label():
    from portal.tickets.labels import OFFICE_STATUS_LABELS
    from portal.tickets.workflow import STATUSES

    assert list(OFFICE_STATUS_LABELS) == list(STATUSES)
