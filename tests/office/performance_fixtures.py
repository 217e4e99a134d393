"""A small world for the office performance tests, every date chosen by hand.

The refresh runs at Wednesday 15 April 2026, 10:00 WIB. The period is the
365 days of submission dates ending that day: 16 April 2025 – 15 April 2026.
Non-working weekdays of early 2026 (lokal, with cuti bersama): 1 and 16 Jan,
16–17 Feb, 18–20 and 23–24 Mar, 3 Apr. Times are 10:00 WIB (03:00 UTC)
unless said otherwise.

Kab. Bogor (dinsos-32.01, Jawa Barat), "wd" = working days from submission:

* B1 rejected, moved only through ``workflow.transition`` (real moves, real
  deadlines): submitted Fri 9 Jan (due_decision 9 Jan + 60 days = Tue 10
  Mar), triaged Tue 13 Jan (2 wd: 12, 13), verified 10 Mar, first decided
  (rejected) Wed 11 Mar: 40 wd (Jan 12-30: 15 weekdays less 16 Jan = 14;
  Feb: 20 less 16-17 Feb = 18; Mar 2-11: 8), a day LATE. Appealed by the
  resident Mon 16 Mar (the window runs 10 wd to 1 Apr), which moves
  due_decision to 16 Mar + 60 = Fri 15 May, after the first decision: the
  first decision must still count as late (first_due_decision 10 Mar).
  Verified and decided (rejected) again Fri 10 Apr: only the first decision
  counts. Rated 5; held by H1.
* B2 accepted: submitted Thu 12 Feb, triaged Wed 18 Feb (2), decided Tue
  14 Apr 03:00 WIB (13 Apr 20:00 UTC) (35), due_decision 13 Apr: late;
  rated 3.
* B3 in_review: submitted Mon 5 Jan, triaged Wed 7 Jan (2), due_next and
  due_decision 6 Mar: overdue and past its decision date; H1.
* B4 needs_info: submitted Wed 1 Apr, triaged Tue 7 Apr (3), paused (no
  due_next), due_decision 31 May; H1.
* B5 submitted: created 13 Apr 20:00 UTC = 14 Apr WIB, due_next 17 Apr.
* B6 in_review: submitted and triaged Wed 8 Apr (0), due_next 14 Apr:
  overdue; due_decision 7 Jun; H2.
* B7 withdrawn: submitted Mon 2 Mar, triaged Thu 12 Mar (8); not open,
  never decided.
* O1 in_review: submitted 3 Mar 2025, before the period: open, overdue
  (due_next 2 May 2025), the oldest open ticket (408 days); H2. Not in
  the on-time share nor the spans.
* O2 closed: submitted 1 Feb 2025, decided 1 Mar 2025, rated 1 on 10 Mar
  2025: before the period, counted nowhere.

Kota Bandung (dinsos-32.73, Jawa Barat): D1 forwarded, submitted Mon 16 Mar,
triaged Tue 17 Mar (1), decided Thu 26 Mar (3), due 15 May: on time, rated
4. D2 verified, submitted Mon 2 Feb, triaged Mon 9 Feb (5), due_decision
and due_next 3 Apr: overdue and past its decision date. D3 submitted,
created 14 Apr 17:30 UTC = 15 Apr 00:30 WIB, due_next 20 Apr.

Jakarta Pusat (dinsos-31.71, DKI Jakarta): J1 rejected, submitted Fri 2
Jan, triaged Mon 5 Jan (1), decided Tue 10 Mar (44), due 3 Mar: late,
rated 2.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

import pytest
from sqlalchemy import insert, select

from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.tickets import workflow
from portal.tickets.models import Rating, Ticket, TicketEvent
from portal.tickets.references import new_reference
from tests.staff.conftest import Clock, make_staff
from tests.staff.test_permissions import BANDUNG, BOGOR_A, JAKARTA

NOW = dt.datetime(2026, 4, 15, 3, 0, tzinfo=dt.UTC)  # Wed 15 Apr 2026, 10:00 WIB
TODAY = dt.date(2026, 4, 15)
BOGOR, BANDUNG_OFFICE, JAKARTA_OFFICE = "dinsos-32.01", "dinsos-32.73", "dinsos-31.71"


def at(day: str, hour_utc: int = 3, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour_utc, minute), dt.UTC)


def d(day: str) -> dt.date:
    return dt.date.fromisoformat(day)


@dataclass
class PerfWorld:
    refs: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    staff: dict[str, object] = field(default_factory=dict)


def _office(code: str) -> int:
    return db.session.scalar(select(Office.id).where(Office.code == code))


_DECIDED = ("accepted", "rejected", "forwarded", "closed")


def _ticket(name, w, *, office, village, status, created, due_next, due_decision, assignee=None):
    ref = new_reference()
    row = {
        "reference": ref,
        "pin_hash": "not-a-real-hash",
        "tracking_token_index": secrets.token_bytes(32),
        "kind": "proposal",
        "subkind": "other_household",
        "subject_name_enc": b"x",
        "village_code": village,
        "office_id": _office(office),
        "reason_codes": "",
        "consent_version": "2026-01",
        "consent_at": created,
        "status": status,
        "status_changed_at": created,
        "due_triage": created.date(),
        "due_next": due_next,
        "due_decision": due_decision,
        # what workflow.transition records at the first decision (B1 is moved by it)
        "first_due_decision": due_decision if status in _DECIDED else None,
        "version": 1,
        "created_at": created,
        "updated_at": created,
        "assignee_id": assignee,
    }
    db.session.execute(insert(Ticket), [row])
    w.refs[name] = ref
    w.ids[name] = db.session.scalar(select(Ticket.id).where(Ticket.reference == ref))


def _event(w, name, kind, moment, to_status=None):
    db.session.add(
        TicketEvent(
            ticket_id=w.ids[name],
            at=moment,
            actor="staff:1",
            kind=kind,
            to_status=to_status,
            public=True,
        )
    )


def _moves(w, name, handler_id, moves) -> None:
    """Move ticket ``name`` through ``workflow.transition`` at 10:00 WIB of
    each day: the office's moves by ``handler_id``, the appeal by the resident."""
    ticket = db.session.get(Ticket, w.ids[name])
    ticket.due_triage = d("2026-01-14")  # 9 Jan + 3 wd (12, 13, 14)
    for to_status, day in moves:
        appeal = ticket.status in (workflow.ACCEPTED, workflow.REJECTED)
        actor = workflow.Actor.resident() if appeal else workflow.Actor.staff(handler_id, "handler")
        workflow.transition(ticket, to_status, actor, now=at(day))


def _rating(w, name, office, score, moment):
    db.session.add(
        Rating(ticket_id=w.ids[name], office_id=_office(office), score=score, created_at=moment)
    )


def build(app) -> PerfWorld:
    """The tickets, events, ratings and staff of the table above."""
    w = PerfWorld()
    w.staff["h1"] = make_staff(app, "handler", office=BOGOR)
    w.staff["h2"] = make_staff(app, "handler", office=BOGOR)
    h1, h2 = w.staff["h1"].id, w.staff["h2"].id
    with app.app_context(), transaction():
        t = _ticket
        bogor = {"office": BOGOR, "village": BOGOR_A}
        t("B1", w, **bogor, status="submitted", created=at("2026-01-09"),
          due_next=d("2026-01-14"), due_decision=d("2026-03-10"), assignee=h1)  # fmt: skip
        t("B2", w, **bogor, status="accepted", created=at("2026-02-12"), due_next=None,
          due_decision=d("2026-04-13"))  # fmt: skip
        t("B3", w, **bogor, status="in_review", created=at("2026-01-05"),
          due_next=d("2026-03-06"), due_decision=d("2026-03-06"), assignee=h1)  # fmt: skip
        t("B4", w, **bogor, status="needs_info", created=at("2026-04-01"), due_next=None,
          due_decision=d("2026-05-31"), assignee=h1)  # fmt: skip
        t("B5", w, **bogor, status="submitted", created=at("2026-04-13", 20),
          due_next=d("2026-04-17"), due_decision=d("2026-06-13"))  # fmt: skip
        t("B6", w, **bogor, status="in_review", created=at("2026-04-08"),
          due_next=d("2026-04-14"), due_decision=d("2026-06-07"), assignee=h2)  # fmt: skip
        t("B7", w, **bogor, status="withdrawn", created=at("2026-03-02"), due_next=None,
          due_decision=d("2026-05-01"))  # fmt: skip
        t("O1", w, **bogor, status="in_review", created=at("2025-03-03"),
          due_next=d("2025-05-02"), due_decision=d("2025-05-02"), assignee=h2)  # fmt: skip
        t("O2", w, **bogor, status="closed", created=at("2025-02-01"), due_next=None,
          due_decision=d("2025-04-02"))  # fmt: skip
        bandung = {"office": BANDUNG_OFFICE, "village": BANDUNG}
        t("D1", w, **bandung, status="forwarded", created=at("2026-03-16"), due_next=None,
          due_decision=d("2026-05-15"))  # fmt: skip
        t("D2", w, **bandung, status="verified", created=at("2026-02-02"),
          due_next=d("2026-04-03"), due_decision=d("2026-04-03"))  # fmt: skip
        t("D3", w, **bandung, status="submitted", created=at("2026-04-14", 17, 30),
          due_next=d("2026-04-20"), due_decision=d("2026-06-14"))  # fmt: skip
        t("J1", w, office=JAKARTA_OFFICE, village=JAKARTA, status="rejected",
          created=at("2026-01-02"), due_next=None, due_decision=d("2026-03-03"))  # fmt: skip

        _moves(w, "B1", h1, [
            ("in_review", "2026-01-13"), ("verified", "2026-03-10"),
            ("rejected", "2026-03-11"),  # first decision, a day after 10 Mar: late
            ("in_review", "2026-03-16"),  # the resident appeals: due_decision -> 15 May
            ("verified", "2026-04-09"), ("rejected", "2026-04-10"),
        ])  # fmt: skip
        for name, kind, day in [
            ("B2", "triaged", "2026-02-18"),
            # 13 Apr 20:00 UTC is 14 Apr 03:00 WIB: decided on the 14th, a day late
            ("B2", "decided", ("2026-04-13", 20)),
            ("B3", "triaged", "2026-01-07"),
            ("B4", "triaged", "2026-04-07"),
            ("B6", "triaged", "2026-04-08"),
            ("B7", "triaged", "2026-03-12"),
            ("B7", "withdrawn", "2026-03-13"),
            ("O1", "triaged", "2025-03-04"),
            ("O2", "triaged", "2025-02-03"),
            ("O2", "decided", "2025-03-01"),
            ("D1", "triaged", "2026-03-17"),
            ("D1", "decided", "2026-03-26"),
            ("D2", "triaged", "2026-02-09"),
            ("J1", "triaged", "2026-01-05"),
            ("J1", "decided", "2026-03-10"),
        ]:
            moment = at(*day) if isinstance(day, tuple) else at(day)
            _event(w, name, kind, moment)
            # a note around the same time must not count as anything
            _event(w, name, "note", moment - dt.timedelta(hours=2))
        _rating(w, "B1", BOGOR, 5, at("2026-03-30"))
        _rating(w, "B2", BOGOR, 3, at("2026-04-14"))
        _rating(w, "O2", BOGOR, 1, at("2025-03-10"))
        _rating(w, "D1", BANDUNG_OFFICE, 4, at("2026-03-27"))
        _rating(w, "J1", JAKARTA_OFFICE, 2, at("2026-03-11"))
    return w


#: Written by hand from the table in the module docstring. For each scope:
#: open, overdue, decided on time, counted for on time (decided + open past
#: the decision date), share %, triaged, triage median, triage p90, decided,
#: decision median, decision p90, ratings, average rating, oldest open
#: ticket (by fixture name), its age in days.
EXPECTED = {
    # open B3 B4 B5 B6 O1; overdue B3 B6 O1; on time none of B1 B2 (both
    # late: B1's first decision, before its appeal) + B3;
    # triage [0 B6, 2 B1, 2 B2, 2 B3, 3 B4, 8 B7]; decision [35 B2, 40 B1].
    BOGOR: (5, 3, 0, 3, "0.0", 6, 2, 8, 2, 35, 40, 2, "4.00", "O1", 408),
    # open D2 D3; overdue D2; on time D1 of D1 + D2; triage [1, 5]; decision [3].
    BANDUNG_OFFICE: (2, 1, 1, 2, "50.0", 2, 1, 5, 1, 3, 3, 1, "4.00", "D2", 72),
    # on time D1 of 5; triage [0,1,2,2,2,3,5,8]: rank 4 -> 2, rank 8 -> 8;
    # decision [3,35,40]: rank 2 -> 35, rank 3 -> 40.
    "prov-32": (7, 4, 1, 5, "20.0", 8, 2, 8, 3, 35, 40, 3, "4.00", "O1", 408),
    JAKARTA_OFFICE: (0, 0, 0, 1, "0.0", 1, 1, 1, 1, 44, 44, 1, "2.00", None, None),
    "prov-31": (0, 0, 0, 1, "0.0", 1, 1, 1, 1, 44, 44, 1, "2.00", None, None),
    # on time D1 of 6 = 16.7 %; triage [0,1,1,2,2,2,3,5,8]: rank 5 -> 2,
    # rank 9 -> 8; decision [3,35,40,44]: rank 2 -> 35, rank 4 -> 44.
    "national": (7, 4, 1, 6, "16.7", 9, 2, 8, 4, 35, 44, 4, "3.50", "O1", 408),
}

#: Bogor's workload, live: H1 holds B3 (overdue) and B4; H2 holds B6 and O1 (both overdue).
WORKLOAD = {"h1": (2, 1), "h2": (2, 2)}


def expected_cells(w: PerfWorld, scope: str, name: str) -> list[str]:
    """The table row (and CSV row) of ``scope`` as the page must show it."""
    values = EXPECTED[scope]
    *numbers, oldest, age = values
    cells = [name, scope, *(str(v) for v in numbers)]
    cells.append(w.refs[oldest] if oldest else "–")
    cells.append(str(age) if age is not None else "–")
    return cells


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The office pages' clock, at ``NOW``."""
    from portal.web.office import auth, login

    clock = Clock()
    clock.now = NOW
    monkeypatch.setattr(auth, "now", clock)
    monkeypatch.setattr(login, "now", clock)
    return clock


@pytest.fixture
def world(app, db_clean) -> PerfWorld:
    return build(app)
