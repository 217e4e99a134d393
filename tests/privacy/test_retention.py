"""``run_retention`` / ``flask retention run`` (SECURITY.md PD2), with the
clock fixed: what goes is decided by hand from each row's age against the
configured period, never read back from the code."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.extensions import db
from portal.privacy.retention import run_retention
from portal.storage import storage
from portal.tickets.drafts import save_draft
from portal.tickets.models import Draft, Evidence, Ticket
from tests.privacy.conftest import ticket_with_files

pytestmark = pytest.mark.usefixtures("in_app", "uploads")

#: The frozen "now" of every run: Monday 7 December 2026, 10:00 WIB.
NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def names_of(ticket_id: int) -> list[str]:
    rows = db.session.execute(
        select(Evidence.stored_name, Evidence.thumb_name).where(Evidence.ticket_id == ticket_id)
    ).all()
    return [n for row in rows for n in row if n]


def retention_rows() -> dict[int | None, str]:
    rows = db.session.execute(
        select(AuditEntry.ticket_id, AuditEntry.detail).where(AuditEntry.kind == "retention")
    ).all()
    return {ticket_id: detail for ticket_id, detail in rows}


def test_evidence_goes_a_configured_period_after_the_ticket_became_final(app, keyring):
    assert app.config["RETENTION_EVIDENCE_DAYS"] == 365
    made = {
        # final for 365 days and one second: past the period
        "closed_old": ticket_with_files(
            keyring, status="closed", at=NOW - 365 * DAY - dt.timedelta(seconds=1)
        ),
        "withdrawn_old": ticket_with_files(keyring, status="withdrawn", at=NOW - 400 * DAY),
        # exactly 365 days: the period is not over yet
        "closed_boundary": ticket_with_files(keyring, status="closed", at=NOW - 365 * DAY),
        "closed_recent": ticket_with_files(keyring, status="closed", at=NOW - 30 * DAY),
        # old but not final: an open case keeps its evidence however long it takes
        "in_review_old": ticket_with_files(keyring, status="in_review", at=NOW - 900 * DAY),
        "rejected_old": ticket_with_files(keyring, status="rejected", at=NOW - 900 * DAY),
    }
    ids = {k: r.ticket_id for k, r in made.items()}
    files = {k: names_of(i) for k, i in ids.items()}
    assert all(len(f) == 2 for f in files.values())  # the original and its thumbnail
    store = storage()

    counts = run_retention(NOW)

    assert counts == {
        "tickets": 2,
        "evidence": 2,
        "files": 4,
        "files_missing": 0,
        "drafts_expired": 0,
        "drafts_of_final_tickets": 0,
    }
    gone, kept = {"closed_old", "withdrawn_old"}, set(ids) - {"closed_old", "withdrawn_old"}
    for key in gone:
        assert names_of(ids[key]) == []
        assert not any(store.exists(n) for n in files[key])
        assert db.session.get(Ticket, ids[key]) is not None  # the case record stays
    for key in kept:
        assert names_of(ids[key]) == files[key]
        assert all(store.exists(n) for n in files[key])
    assert retention_rows() == {ids["closed_old"]: "evidence:1", ids["withdrawn_old"]: "evidence:1"}
    # A second run finds nothing left to do and writes no audit row.
    again = run_retention(NOW)
    assert again["tickets"] == again["files"] == 0
    assert db.session.scalar(select(func.count()).where(AuditEntry.kind == "retention")) == 2


def test_the_period_is_configuration(app, keyring, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_EVIDENCE_DAYS", 30)
    old = ticket_with_files(keyring, status="closed", at=NOW - 31 * DAY).ticket_id
    young = ticket_with_files(keyring, status="closed", at=NOW - 29 * DAY).ticket_id
    assert run_retention(NOW)["tickets"] == 1
    assert names_of(old) == [] and len(names_of(young)) == 2


def test_a_file_already_gone_is_counted_not_fatal(keyring):
    ticket_id = ticket_with_files(keyring, status="duplicate", at=NOW - 500 * DAY).ticket_id
    original, thumb = names_of(ticket_id)
    storage().delete(thumb)
    counts = run_retention(NOW)
    assert (counts["files"], counts["files_missing"]) == (1, 1)
    assert not storage().exists(original)


def _reply_draft(keyring, ticket_id: int, saved: dt.datetime) -> str:
    with transaction():
        return save_draft(
            "reply",
            {"ticket_id": ticket_id, "text": "Sudah saya kirim."},
            keyring=keyring,
            now=saved,
        )


def test_drafts_expired_and_of_final_tickets_go(app, keyring, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_DRAFT_HOURS_AFTER_CLOSURE", 2)
    hour = dt.timedelta(hours=1)
    closed_3h = ticket_with_files(keyring, status="closed", at=NOW - 3 * hour).ticket_id
    closed_1h = ticket_with_files(keyring, status="withdrawn", at=NOW - hour).ticket_id
    open_ = ticket_with_files(keyring, status="needs_info", at=NOW - 90 * DAY).ticket_id
    drafts = {
        # saved 25 h ago: expired (DRAFT_TTL_HOURS = 24) whatever it is
        "expired": _reply_draft(keyring, open_, NOW - 25 * hour),
        "of_ticket_final_3h": _reply_draft(keyring, closed_3h, NOW - hour),
        "of_ticket_final_1h": _reply_draft(keyring, closed_1h, NOW - hour),
        "of_open_ticket": _reply_draft(keyring, open_, NOW - hour),
    }
    with transaction():
        drafts["submission"] = save_draft(
            "proposal", {"subject_name": "Siti"}, keyring=keyring, now=NOW
        )

    counts = run_retention(NOW)

    assert (counts["drafts_expired"], counts["drafts_of_final_tickets"]) == (1, 1)
    left = set(db.session.scalars(select(Draft.id)))
    assert left == {drafts[k] for k in ("of_ticket_final_1h", "of_open_ticket", "submission")}
    assert retention_rows() == {None: "drafts:2"}


def test_cli_prints_the_counts(app, keyring):
    ticket_with_files(keyring, status="closed", at=dt.datetime.now(dt.UTC) - 366 * DAY)
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "tickets=1 evidence=1 files=2 files_missing=0" in result.output
