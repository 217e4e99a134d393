"""Times are UTC wherever they come from, whatever the machine's own zone.

SQLite hands a stored time back without its zone. Python takes a naive
datetime as the *machine's local time* in ``astimezone()``, so a server set
to Asia/Jakarta would shift every such time by 7 hours and move due dates
by a day. These tests set the process's zone to Asia/Jakarta (``time.tzset``)
so that mistake shows; on a UTC machine it would not.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from portal.db import transaction
from portal.extensions import db
from portal.tickets import sla
from portal.tickets.models import Ticket
from portal.tickets.workflow import Actor, transition
from tests.tickets import submit


@pytest.fixture
def jakarta_machine():
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Jakarta"
    time.tzset()
    # the zone really is in force: a naive time is now taken as UTC+7
    assert dt.datetime(2026, 3, 16, 20, 0).astimezone(dt.UTC).hour == 13
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_as_utc_refuses_a_naive_time(jakarta_machine):
    with pytest.raises(ValueError, match="aware"):
        sla.as_utc(dt.datetime(2026, 3, 16, 20, 0))


def test_as_utc_converts_an_aware_time():
    wib = dt.timezone(dt.timedelta(hours=7))
    moment = sla.as_utc(dt.datetime(2026, 3, 17, 3, 0, tzinfo=wib))
    assert moment == dt.datetime(2026, 3, 16, 20, 0, tzinfo=dt.UTC)
    assert moment.tzinfo == dt.UTC


@pytest.mark.parametrize(
    ("naive_utc", "wib_date"),
    [
        # hand computed: WIB = UTC + 7 hours
        (dt.datetime(2026, 3, 16, 16, 59), dt.date(2026, 3, 16)),  # 23:59 WIB
        (dt.datetime(2026, 3, 16, 17, 0), dt.date(2026, 3, 17)),  # 00:00 WIB
        (dt.datetime(2026, 3, 16, 20, 0), dt.date(2026, 3, 17)),  # 03:00 WIB
    ],
)
def test_a_naive_time_is_utc_on_a_jakarta_machine(jakarta_machine, naive_utc, wib_date):
    assert sla.local_date(naive_utc) == wib_date


def test_due_dates_after_a_pause_read_back_from_the_database(
    app_ctx, db_clean, keyring, jakarta_machine
):
    """``paused_at`` comes back from SQLite naive; it must count as UTC."""
    result = submit(keyring)
    with transaction():
        ticket = db.session.get(Ticket, result.ticket_id)
        ticket.status = "in_review"
    before = (ticket.due_response, ticket.due_decision)
    assert before[0] == dt.date(2026, 4, 2)

    asked = dt.datetime(2026, 3, 16, 20, 0, tzinfo=dt.UTC)  # Tuesday 17 March, 03:00 WIB
    with transaction():
        transition(ticket, "needs_info", Actor.staff(7, "handler"), "Kirim KK.", now=asked)
    db.session.expire_all()  # read paused_at back from the database
    ticket = db.session.get(Ticket, result.ticket_id)

    replied = dt.datetime(2026, 3, 30, 3, 0, tzinfo=dt.UTC)  # Monday 30 March, 10:00 WIB
    with transaction():
        transition(ticket, "in_review", Actor.resident(), "Sudah.", now=replied)

    # Paused on 17 March (WIB), resumed 30 March: working days 25, 26, 27, 30
    # (18–24 March are Nyepi, Idulfitri and cuti bersama): 4; calendar days: 13.
    # Read as Jakarta time it would be 16 March: 5 working days, 14 calendar days.
    assert ticket.due_response == dt.date(2026, 4, 9)  # 2 Apr + 4: 6, 7, 8, 9 (3 Apr off)
    assert ticket.due_decision == before[1] + dt.timedelta(days=13)
