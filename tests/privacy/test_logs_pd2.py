"""SECURITY.md PD2, the logs' half: personal fields are never written to a
log line in the first place, so no log needs purging. A resident's whole
journey (lookup, a proposal with a file and a contact) and every
data-protection command run with the portal's loggers at DEBUG; each
captured record is formatted by the production formatter (``JsonFormatter``,
extras included) and searched for every personal value the journey typed or
the registry holds: the NIK, the KK number, names, addresses, the reason
text, the contact (as typed and as digits)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select

from portal.audit.log import record
from portal.db import transaction
from portal.extensions import db
from portal.logs import JsonFormatter
from portal.ratelimit import limiter
from portal.registry.importer import import_snapshot
from portal.tickets.models import Ticket
from tests.factories import household, write_csv
from tests.web.conftest import post_lookup
from tests.web.journeys import answer_up_to_check, send

pytestmark = pytest.mark.usefixtures("db_clean")


def test_no_personal_field_reaches_a_log_line(app, client, uploads, tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="portal")
    members = household("3201011503100001", 1)
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "s.csv", members), None)
        limiter.reset()
    head = members[0]
    found = post_lookup(client, head["nik"], head["full_name"])
    assert found.status_code == 200
    check = answer_up_to_check(client, "proposal", "other_household")
    confirmation, _ = send(client, "proposal", check)
    assert confirmation.status_code == 200
    with app.app_context(), transaction():  # an office opens it: the breach report has a row
        ticket_id = db.session.scalar(select(Ticket.id))
        record("ticket_opened", staff_id=1, ticket_id=ticket_id)
    runner = app.test_cli_runner()
    now = dt.datetime.now(dt.UTC)
    window = [
        "--from",
        (now - dt.timedelta(hours=1)).isoformat(),
        "--to",
        (now + dt.timedelta(hours=1)).isoformat(),
    ]
    for args in (
        ["retention", "run"],
        ["breach", "report", *window, "--out", str(tmp_path / "subjects.csv")],
        ["backup", "create", str(tmp_path / "backup")],
        ["backup", "verify", str(tmp_path / "backup")],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    with app.app_context():
        limiter.reset()

    formatter = JsonFormatter()
    lines = "\n".join(formatter.format(r) for r in caplog.records)
    assert len(caplog.records) >= 3, "the journey logged nothing: the check would be empty"
    personal = {
        "nik": head["nik"],
        "kk": head["kk_number"],
        "head name": head["full_name"],
        "member names": members[2]["full_name"],
        "registry address": head["address"],
        "subject name": "Siti Aminah",
        "subject address": "Jl. Mawar 5",
        "reason text": "Suami sakit sejak Januari",
        "contact": "0812 3456 7890",
        "contact digits": "081234567890",
    }
    leaked = [what for what, value in personal.items() if value in lines]
    assert leaked == [], f"personal fields in log lines: {leaked}"
