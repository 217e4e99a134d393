"""``flask breach report`` (SECURITY.md PD3): the subjects whose data the
access of a window touched, from the audit log. The expected tickets and
totals are worked out by hand from the rows written here."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from portal.audit.log import record
from portal.db import transaction
from portal.extensions import db
from portal.tickets.models import Ticket, TicketEvent
from tests.office.ticket_page_fixtures import make_registry_household
from tests.tickets import answers, submit

pytestmark = pytest.mark.usefixtures("in_app")

#: The window: Monday 16 March 2026, 03:00 UTC, for a day.
START = dt.datetime(2026, 3, 16, 3, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
WINDOW = ["--from", "2026-03-16T10:00+07:00", "--to", "2026-03-17T03:00"]  # START, END
KK, HEAD_NIK = "3201010101100001", "3201010505700000"


def _decided(ticket_id: int, at: dt.datetime) -> None:
    db.session.add(
        TicketEvent(
            ticket_id=ticket_id,
            at=at,
            actor="staff:1",
            kind="decided",
            from_status="verified",
            to_status="accepted",
            public=True,
        )
    )


@pytest.fixture
def access(keyring):
    """Seven tickets, and audit rows of which three tickets' access falls in the window."""
    t = {}
    t["opened"] = submit(
        keyring, answers(subject_name="Dewi Lestari", reporter_contact="0812 1111 2222")
    )
    t["household"] = submit(keyring)
    t["before"] = submit(keyring)
    t["retention_only"] = submit(keyring)
    t["exported"] = submit(keyring)
    t["decided_earlier"] = submit(keyring)
    ids = {k: r.ticket_id for k, r in t.items()}
    household = make_registry_household(keyring)
    with transaction():
        db.session.get(Ticket, ids["household"]).household_id = household
        office = db.session.get(Ticket, ids["exported"]).office_id
        _decided(ids["exported"], dt.datetime(2026, 3, 10, 3, 0, tzinfo=dt.UTC))
        _decided(ids["decided_earlier"], dt.datetime(2026, 2, 1, 3, 0, tzinfo=dt.UTC))
        record("ticket_opened", staff_id=7, ticket_id=ids["opened"], now=START + HOUR)
        record(
            "evidence_opened",
            staff_id=8,
            ticket_id=ids["household"],
            evidence_id=1,
            now=START + 2 * HOUR,
        )
        record("ticket_opened", staff_id=8, ticket_id=ids["household"], now=END - HOUR)
        record("ticket_opened", staff_id=7, ticket_id=ids["before"], now=START - HOUR)
        record("retention", ticket_id=ids["retention_only"], detail="evidence:1", now=START + HOUR)
        record(
            "exported",
            staff_id=9,
            office_id=office,
            detail="decisions:2026-03-01..2026-03-15",
            now=START + 3 * HOUR,
        )
        record("assist_lookup", staff_id=9, detail="found", now=START + 4 * HOUR)
        record("ticket_opened", staff_id=7, ticket_id=ids["before"], now=END)  # end is exclusive
    return t


def _csv(output: str) -> list[dict]:
    start = output.index("reference,")
    return list(csv.DictReader(io.StringIO(output[start:])))


def test_lists_the_tickets_the_window_touched(app, access, tmp_path):
    result = app.test_cli_runner().invoke(args=["breach", "report", *WINDOW])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "window 2026-03-16T03:00:00+00:00 .. 2026-03-17T03:00:00+00:00: 6 audit rows" in out
    # opened, household, exported; the household has 2 members; "opened" and
    # "exported" name a subject outside the registry; one reporter.
    for line in ("tickets: 3", "households: 1", "persons: 2", "other_subjects: 2", "reporters: 1"):
        assert line in out
    assert "not attributable to a subject: assist_lookup x1" in out
    rows = {r["reference"]: r for r in _csv(out)}
    assert set(rows) == {access[k].reference for k in ("opened", "household", "exported")}
    household = rows[access["household"].reference]
    assert household["access"] == "evidence_opened;ticket_opened"
    assert household["staff_accounts"] == "1"
    assert household["first_access_utc"] == "2026-03-16T05:00:00+00:00"
    assert household["last_access_utc"] == "2026-03-17T02:00:00+00:00"
    assert (household["kk_number"], household["head_nik"]) == (
        "3201********0001",
        "3201********0000",
    )
    assert household["head_name"] == "B****** S****** W********"
    assert rows[access["opened"].reference]["subject_name"] == "D*** L******"
    assert rows[access["opened"].reference]["reporter_contact"] == "0*** 1*** 2***"
    assert rows[access["exported"].reference]["access"] == "exported"
    for clear in (KK, HEAD_NIK, "Dewi Lestari", "Bambang", "0812 1111 2222"):
        assert clear not in out
    # --out: in full, to a new private file; the terminal still shows no identity.
    out = tmp_path / "subjects.csv"
    result = app.test_cli_runner().invoke(args=["breach", "report", *WINDOW, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert KK not in result.output and "Dewi Lestari" not in result.output
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    rows = {r["reference"]: r for r in _csv(out.read_text())}
    household = rows[access["household"].reference]
    assert (household["kk_number"], household["head_nik"]) == (KK, HEAD_NIK)
    assert household["head_name"] == "Bambang Suryadi Wicaksono"
    assert rows[access["opened"].reference]["reporter_contact"] == "0812 1111 2222"
    # --ticket: that ticket's access only.
    reference = access["household"].reference
    result = app.test_cli_runner().invoke(args=["breach", "report", *WINDOW, "--ticket", reference])
    assert result.exit_code == 0, result.output
    assert "tickets: 1" in result.output
    assert [r["reference"] for r in _csv(result.output)] == [reference]


def test_a_meeting_list_export_covers_the_village_tickets_sent_before_it(app, keyring):
    earlier = submit(keyring, now=START - HOUR)
    later = submit(keyring, now=START + 5 * HOUR)
    ticket = db.session.get(Ticket, earlier.ticket_id)
    with transaction():
        record(
            "exported",
            staff_id=9,
            office_id=ticket.office_id,
            detail=f"musdes:{ticket.village_code}:2026-03-01..2026-03-16",
            now=START + HOUR,
        )
    result = app.test_cli_runner().invoke(args=["breach", "report", *WINDOW])
    assert [r["reference"] for r in _csv(result.output)] == [earlier.reference]
    assert later.reference not in result.output
