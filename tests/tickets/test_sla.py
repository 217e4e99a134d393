"""SLA due dates in Indonesian government working days (DESIGN.md §4).

2026 from ``lokal.get_holidays(2026)``: Imlek 16 Feb (cuti bersama) and 17 Feb;
Nyepi 18 Mar (cuti bersama) and 19 Mar; Idulfitri 20 and 23–24 Mar (cuti
bersama), 21–22 Mar (a weekend); Wafat Yesus Kristus 3 Apr.
"""

from __future__ import annotations

import datetime as dt
import logging

import lokal
import pytest

from portal.tickets import sla
from portal.tickets.sla import (
    DueDates,
    SlaRules,
    add_working_days,
    appeal_deadline,
    due_dates,
    is_working_day,
    local_date,
    working_days_between,
)

D = dt.date
RULES = SlaRules()


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    """Each test sees the "no holiday calendar" warning as if for the first time."""
    monkeypatch.setattr(sla, "_warned_years", set())


def test_the_holidays_these_tests_rely_on():
    holidays = {h.date: h.type for h in lokal.get_holidays(2026).holidays}
    assert holidays["2026-03-18"] == "cuti_bersama"  # Nyepi
    assert holidays["2026-03-19"] == "libur_nasional"  # Nyepi
    assert holidays["2026-03-20"] == "cuti_bersama"  # Idulfitri
    assert holidays["2026-03-23"] == "cuti_bersama"
    assert holidays["2026-03-24"] == "cuti_bersama"
    assert holidays["2026-04-03"] == "libur_nasional"
    assert holidays["2026-02-16"] == "cuti_bersama"  # Imlek


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 3, 17), True),  # Tuesday before Nyepi
        (D(2026, 3, 18), False),  # cuti bersama Nyepi: government offices are closed
        (D(2026, 3, 19), False),  # Nyepi
        (D(2026, 3, 21), False),  # Saturday (and Idulfitri)
        (D(2026, 3, 24), False),  # cuti bersama Idulfitri
        (D(2026, 3, 25), True),
        (D(2026, 3, 28), False),  # Saturday
        (D(2026, 3, 29), False),  # Sunday
    ],
)
def test_working_days_leave_out_weekends_holidays_and_cuti_bersama(day, working):
    assert is_working_day(day) is working


def test_triage_due_over_nyepi_and_idulfitri():
    """Submitted Monday 16 March: Tue 17, then nothing open until Wed 25."""
    due = due_dates("proposal", D(2026, 3, 16), RULES)

    assert due.triage == D(2026, 3, 26)  # 17, 25, 26
    assert due.response == D(2026, 4, 2)  # 27, 30, 31, 1 Apr, 2 Apr (3 Apr is Good Friday)


def test_submitted_on_the_friday_before_the_holidays():
    assert due_dates("correction", D(2026, 3, 13), RULES).triage == D(2026, 3, 25)


def test_submitted_on_a_weekend_counts_from_monday():
    assert due_dates("correction", D(2026, 3, 28), RULES).triage == D(2026, 4, 1)


def test_cuti_bersama_of_imlek_is_a_day_off():
    # Fri 13 Feb → Mon 16 (cuti bersama) and Tue 17 (Imlek) are off → 18, 19, 20.
    assert due_dates("proposal", D(2026, 2, 13), RULES).triage == D(2026, 2, 20)


def test_single_holiday_in_a_week():
    # Wed 14 Jan → Thu 15, Fri 16 is Isra Mikraj, Mon 19, Tue 20.
    assert due_dates("proposal", D(2026, 1, 14), RULES).triage == D(2026, 1, 20)


def test_objections_get_a_calendar_verification_date_others_none():
    objection = due_dates("objection", D(2026, 3, 16), RULES)
    correction = due_dates("correction", D(2026, 3, 16), RULES)

    assert objection.verification == D(2026, 3, 30)  # 14 calendar days, holidays included
    assert correction.verification is None


def test_decision_is_sixty_calendar_days():
    assert due_dates("proposal", D(2026, 3, 16), RULES).decision == D(2026, 5, 15)


def test_appeal_window_is_ten_working_days():
    # 17, 25, 26, 27, 30, 31 Mar, 1, 2, 6, 7 Apr
    assert appeal_deadline(D(2026, 3, 16), RULES) == D(2026, 4, 7)


def test_working_days_between():
    assert working_days_between(D(2026, 3, 16), D(2026, 3, 26)) == 3
    assert working_days_between(D(2026, 3, 26), D(2026, 3, 16)) == -3
    assert working_days_between(D(2026, 3, 16), D(2026, 3, 16)) == 0
    assert working_days_between(D(2026, 3, 17), D(2026, 3, 24)) == 0


@pytest.mark.parametrize("start", [D(2026, 3, 13), D(2026, 3, 16), D(2026, 12, 21)])
@pytest.mark.parametrize("days", [1, 3, 5, 10, 20])
def test_add_and_count_agree(start, days):
    end = add_working_days(start, days)
    assert is_working_day(end)
    assert working_days_between(start, end) == days
    assert add_working_days(end, -days) <= start


def test_years_without_a_holiday_calendar_count_weekends_only_and_warn_once(caplog):
    # Thu 30 Dec 2027 → Fri 31 Dec, then 2028 (no SKB yet): Mon 3, Tue 4 Jan.
    with caplog.at_level(logging.WARNING, logger="portal.tickets.sla"):
        assert due_dates("proposal", D(2027, 12, 30), RULES).triage == D(2028, 1, 4)
        assert add_working_days(D(2028, 1, 7), 1) == D(2028, 1, 10)

    warnings = [r for r in caplog.records if r.name == "portal.tickets.sla"]
    assert len(warnings) == 1
    assert "2028" in warnings[0].getMessage()


def test_rules_come_from_config_with_defaults():
    rules = sla.rules_from_config({"SLA_RULES": {"triage_working_days": 1}})

    assert rules.triage_working_days == 1
    assert rules.decision_days == 60
    assert due_dates("proposal", D(2026, 3, 16), rules).triage == D(2026, 3, 17)
    assert sla.rules_from_config({}) == SlaRules()


def test_an_unknown_rule_name_is_an_error():
    with pytest.raises(ValueError, match="triage_days"):
        SlaRules.from_mapping({"triage_days": 2})


def test_local_date_is_wib():
    assert local_date(dt.datetime(2026, 3, 16, 16, 59, tzinfo=dt.UTC)) == D(2026, 3, 16)
    assert local_date(dt.datetime(2026, 3, 16, 17, 0, tzinfo=dt.UTC)) == D(2026, 3, 17)


def test_a_pause_moves_the_deadlines_by_its_length():
    due = DueDates(D(2026, 3, 26), D(2026, 4, 2), D(2026, 3, 30), D(2026, 5, 15))

    # Paused Monday 30 March, resumed Monday 6 April: 31, 1, 2, 6 = 4 working days, 7 calendar.
    moved = sla.after_pause(due, D(2026, 3, 30), D(2026, 4, 6))

    assert moved.triage == due.triage
    assert moved.response == D(2026, 4, 9)  # 2 Apr + 4 working days: 6, 7, 8, 9 (3 Apr off)
    assert moved.verification == D(2026, 4, 6)
    assert moved.decision == D(2026, 5, 22)
