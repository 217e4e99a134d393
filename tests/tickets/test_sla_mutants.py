"""portal.tickets.sla edge cases (docs/testing.md, mutation testing).

Times are written out by hand: WIB is UTC+7, so 18:00 UTC is 01:00 WIB the
next day. 2026-02-02 to 2026-02-13 hold no holiday (Imlek is 16-17 Feb).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from portal.tickets import sla
from portal.tickets.sla import (
    DueDates,
    SlaRules,
    add_working_days,
    after_pause,
    as_utc,
    local_date,
    working_days_between,
)

D = dt.date


@pytest.fixture
def machine_in_new_york(monkeypatch):
    """A server whose local time is not UTC: a naive time taken as local shows."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_as_utc_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match=r"^use an aware datetime$"):
        as_utc(dt.datetime(2026, 3, 16, 10, 0))


def test_as_utc_converts_to_utc(machine_in_new_york):
    wib_morning = dt.datetime(2026, 3, 16, 10, 0, tzinfo=sla.WIB)
    converted = as_utc(wib_morning)
    assert converted == dt.datetime(2026, 3, 16, 3, 0, tzinfo=dt.UTC)
    assert converted.utcoffset() == dt.timedelta(0)
    assert (converted.hour, converted.day) == (3, 16)


def test_as_utc_without_argument_is_now_in_utc():
    before = dt.datetime.now(dt.UTC)
    now = as_utc()
    after = dt.datetime.now(dt.UTC)
    assert now.utcoffset() == dt.timedelta(0)
    assert before <= now <= after


def test_a_naive_datetime_read_back_is_utc_not_local_time(machine_in_new_york):
    """SQLite drops the zone: 18:00 stored is 18:00 UTC, so 17 March in WIB
    (18:00 in New York would be 05:00 WIB on the 17th; 16:59 checks the edge)."""
    assert local_date(dt.datetime(2026, 3, 16, 18, 0)) == D(2026, 3, 17)
    assert local_date(dt.datetime(2026, 3, 16, 16, 59)) == D(2026, 3, 16)
    assert local_date(dt.datetime(2026, 3, 16, 18, 0, tzinfo=dt.UTC)) == D(2026, 3, 17)
    # 11:00 naive is 18:00 WIB on the 16th; as New York time it would be the 17th
    assert local_date(dt.datetime(2026, 3, 16, 11, 0)) == D(2026, 3, 16)


def test_an_aware_time_keeps_its_zone():
    assert local_date(dt.datetime(2026, 3, 16, 23, 0, tzinfo=sla.WIB)) == D(2026, 3, 16)
    new_york = dt.timezone(dt.timedelta(hours=-4))
    assert local_date(dt.datetime(2026, 3, 16, 12, 0, tzinfo=new_york)) == D(2026, 3, 16)
    assert local_date(dt.datetime(2026, 3, 16, 14, 0, tzinfo=new_york)) == D(2026, 3, 17)


def test_a_pause_leaves_no_verification_date_where_there_was_none():
    due = DueDates(triage=D(2026, 2, 4), response=D(2026, 2, 11), verification=None,
                   decision=D(2026, 4, 3))  # fmt: skip
    # paused Mon 2 Feb, resumed Mon 9 Feb: five working days, seven calendar days
    # response Wed 11 Feb + 5: 12, 13, (Imlek 16-17 off) 18, 19, 20 Feb
    moved = after_pause(due, D(2026, 2, 2), D(2026, 2, 9))
    assert moved == DueDates(D(2026, 2, 4), D(2026, 2, 20), None, D(2026, 4, 10))


def test_wib_is_seven_hours_ahead():
    assert sla.WIB.utcoffset(None) == dt.timedelta(hours=7)


def test_working_days_backwards_and_zero():
    # Mon 9 Feb 2026 back one working day is Fri 6 Feb; back five is Mon 2 Feb
    assert add_working_days(D(2026, 2, 9), -1) == D(2026, 2, 6)
    assert add_working_days(D(2026, 2, 9), -5) == D(2026, 2, 2)
    assert add_working_days(D(2026, 2, 7), 0) == D(2026, 2, 7)  # a Saturday stays
    assert add_working_days(D(2026, 2, 6), 1) == D(2026, 2, 9)
    assert working_days_between(D(2026, 2, 9), D(2026, 2, 6)) == -1
    assert working_days_between(D(2026, 2, 6), D(2026, 2, 9)) == 1
    assert working_days_between(D(2026, 2, 6), D(2026, 2, 8)) == 0


def test_an_unknown_rule_is_named_with_the_known_ones():
    with pytest.raises(ValueError) as caught:
        SlaRules.from_mapping({"triage_days": 2, "decision_days": 30})
    message = str(caught.value)
    assert "['triage_days']" in message
    assert "'appeal_working_days'" in message and "'decision_days'" in message


def test_rule_values_are_made_integers():
    rules = SlaRules.from_mapping({"decision_days": "30"})
    assert rules.decision_days == 30 and isinstance(rules.decision_days, int)
    assert SlaRules.from_mapping(None) == SlaRules()
    assert SlaRules() == SlaRules(3, 5, 14, 60, 10)


def test_the_missing_calendar_warning_says_what_to_do(caplog, monkeypatch):
    monkeypatch.setattr(sla, "_warned_years", set())
    with caplog.at_level("WARNING", logger="portal.tickets.sla"):
        assert sla.is_working_day(D(2028, 1, 3)) is True  # a Monday; lokal has no 2028 yet
    (record,) = [r for r in caplog.records if r.name == "portal.tickets.sla"]
    assert record.getMessage() == (
        "no holiday calendar for 2028: counting weekends only (update lokal-id)"
    )
