"""What the office's ticket page shows of the resident's side (issue 11 §4-5):
each message with its delivery state, the rating, the appeal mark; and who
sees them."""

# The fixtures come from ticket_page_fixtures (no shared conftest): a test's
# parameter of the same name is the fixture, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import html
import json
import re
import uuid

import pytest
from lokal import wilayah
from sqlalchemy import event

from portal.db import transaction
from portal.extensions import db
from portal.tickets.models import (
    P_OUTBOX_RECIPIENT,
    OutboxMessage,
    Rating,
    TicketEvent,
    rating_comment_purpose,
)
from tests.factories import VILLAGE
from tests.office.ticket_page_fixtures import (
    CONTACT,
    clean_limits,  # noqa: F401 - fixture
    clock,  # noqa: F401 - fixture
    page_of,
    people,  # noqa: F401 - fixture
    ticket_row,
    tickets,  # noqa: F401 - fixture
    upload_root,  # noqa: F401 - fixture
)
from tests.staff.conftest import log_in, make_staff

pytestmark = pytest.mark.usefixtures("db_clean")
OTHER_VILLAGE = sorted(c for c in wilayah._desa() if c.startswith("32.01.01.") and c != VILLAGE)[0]
SMS_SENDER = "+6281299998888"
COMMENT = "Petugasnya ramah, tapi saya menunggu lama."


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in March 2026, UTC (WIB is UTC+7)."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


def message(ticket, topic: str, created: dt.datetime, status: str, **columns) -> str:
    """An outbox row about ``ticket`` as the worker would have left it."""
    event_id = str(uuid.uuid4())
    new_status = columns.pop("to", None)
    db.session.add(
        OutboxMessage(
            event_id=event_id,
            topic=topic,
            payload=json.dumps({"status": new_status, "public": True} if new_status else {}),
            created_at=created,
            ticket_id=ticket.id,
            status=status,
            attempts=columns.pop("attempts", 0),
            **columns,
        )
    )
    return event_id


CHANGED = "ticket.status_changed"


@pytest.fixture
def deliveries(app, keyring, tickets):
    """Beside the submission's own message (queued): one message in every
    other state, each on its own day so the order is plain."""
    with app.app_context(), transaction():
        t = ticket_row(tickets.objection)
        message(t, CHANGED, at(17, 2), "sent", to="in_review", channel="sms", attempts=1,
                sent_at=at(17, 2, 30))  # fmt: skip
        message(t, "ticket.message", at(18, 4), "retry", channel="email", attempts=2,
                next_attempt_at=at(18, 5), last_error="SMTP 451 try again later")  # fmt: skip
        message(t, CHANGED, at(19, 3), "dead", to="accepted", channel="email", attempts=8,
                last_error="550 mailbox unavailable")  # fmt: skip
        message(t, CHANGED, at(20, 3), "skipped", to="field_check",
                last_error="public status unchanged")  # fmt: skip
        answer = message(t, "sms.reply", at(21, 1), "pending")
        purpose = P_OUTBOX_RECIPIENT + b":" + answer.encode()
        row = db.session.query(OutboxMessage).filter_by(event_id=answer).one()
        row.recipient_enc = keyring.encrypt(SMS_SENDER, purpose)


@pytest.fixture
def rated(app, keyring, tickets):
    with app.app_context(), transaction():
        t = ticket_row(tickets.objection)
        db.session.add(
            Rating(
                ticket_id=t.id,
                office_id=t.office_id,
                score=4,
                comment_enc=keyring.encrypt(COMMENT, rating_comment_purpose(t.id)),
                created_at=at(25, 8),
            )
        )


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def message_rows(page: str) -> list[list[str]]:
    """The cells of each row of the "Messages to the resident" table."""
    section = page.split('id="messages"', 1)[1].split("</table>", 1)[0]
    body = section.split("<tbody>", 1)[1]
    return [
        [text_of(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.DOTALL)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)
    ]


def test_staff_see_every_message_newest_first_with_its_delivery_state(
    app, client, clock, people, tickets, deliveries
):
    log_in(client, people.handler, clock)
    page = page_of(client, tickets.objection)
    assert page.status_code == 200
    assert "Pesan kepada warga" in page.text
    assert message_rows(page.text) == [
        ["21 Mar 2026 08.00.00 WIB", "Jawaban atas SMS", "Tidak ada", "Dalam antrean", "0"],
        ["20 Mar 2026 10.00.00 WIB", "Status berubah menjadi Verifikasi lapangan", "Tidak ada",
         "Tidak dikirim: status yang dilihat warga tidak berubah", "0"],
        ["19 Mar 2026 10.00.00 WIB", "Status berubah menjadi Disetujui", "Email",
         "Gagal: 550 mailbox unavailable", "8"],
        ["18 Mar 2026 11.00.00 WIB", "Pesan dari Dinas Sosial", "Email",
         "Menunggu dicoba lagi pada 18 Mar 2026 12.00.00 WIB "
         "Percobaan terakhir: SMTP 451 try again later", "2"],
        ["17 Mar 2026 09.00.00 WIB", "Status berubah menjadi Sedang diperiksa", "SMS",
         "Terkirim pada 17 Mar 2026 09.30.00 WIB", "1"],
        # the submission's own message (tests.tickets.NOW: 16 March, 10:00 WIB)
        ["16 Mar 2026 10.00.00 WIB", "Permohonan diterima", "Tidak ada", "Dalam antrean", "0"],
    ]  # fmt: skip
    # the answer's recipient is nobody's business on this page
    assert "81299998888" not in page.text


def test_the_messages_are_read_in_one_query(app, client, clock, people, tickets, deliveries):
    log_in(client, people.handler, clock)
    statements = []

    def count(conn, cursor, statement, *args):
        if re.search(r"\bFROM outbox\b", statement):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert page_of(client, tickets.objection).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1


def test_english_page_says_the_states_in_english(app, client, clock, people, tickets, deliveries):
    log_in(client, people.supervisor, clock)
    rows = message_rows(client.get(f"/office/tickets/{tickets.objection}?lang=en").text)
    assert [row[3] for row in rows][:3] == [
        "Queued",
        "Not sent: the status the resident sees did not change",
        "Failed: 550 mailbox unavailable",
    ]
    assert rows[1][1] == "Status changed to Field check"


def test_a_ticket_without_messages_says_so(app, client, clock, people, tickets):
    with app.app_context(), transaction():
        db.session.query(OutboxMessage).delete()
    log_in(client, people.handler, clock)
    assert "Belum ada pesan kepada warga." in page_of(client, tickets.objection).text


@pytest.mark.parametrize("who", ["handler", "supervisor", "operator"])
def test_the_rating_is_shown_to_staff_who_may_see_the_reporter(
    app, client, clock, people, tickets, rated, who
):
    """The objection is not confidential: its village's operator sees its
    reporter, and so the rating too."""
    log_in(client, getattr(people, who), clock)
    text = text_of(page_of(client, tickets.objection).text)
    assert "Penilaian dari warga" in text
    assert "Nilai 4 dari 5" in text and COMMENT in text
    assert "Dinilai pada 25 Mar 2026 15.00.00 WIB" in text


def test_no_rating_no_section(app, client, clock, people, tickets):
    log_in(client, people.handler, clock)
    assert "Penilaian dari warga" not in page_of(client, tickets.objection).text


def test_an_operator_who_may_not_see_a_confidential_reporter_sees_no_messages_nor_rating(
    app, client, clock, keyring, people, tickets
):
    with app.app_context(), transaction():
        t = ticket_row(tickets.confidential)
        message(t, CHANGED, at(19, 3), "dead", to="accepted", channel="email", attempts=8,
                last_error="550 mailbox unavailable")  # fmt: skip
        comment = keyring.encrypt(COMMENT, rating_comment_purpose(t.id))
        db.session.add(
            Rating(ticket_id=t.id, office_id=t.office_id, score=2, created_at=at(25, 8),
                   comment_enc=comment)
        )  # fmt: skip
    log_in(client, people.other_operator, clock)
    page = page_of(client, tickets.confidential)
    assert page.status_code == 200
    not_shown = "Pesan kepada pelapor laporan rahasia tidak ditampilkan kepada operator desa."
    assert not_shown in page.text
    for hidden in ("550 mailbox unavailable", "Saluran", "Penilaian dari warga", COMMENT):
        assert hidden not in page.text
    # the handler of the office sees both
    client.get("/office/logout")
    handler = app.test_client()
    log_in(handler, people.handler, clock)
    shown = page_of(handler, tickets.confidential).text
    assert "550 mailbox unavailable" in shown and COMMENT in shown


def test_an_operator_of_another_village_sees_none_of_it(
    app, client, clock, people, tickets, deliveries, rated
):
    stranger = make_staff(app, "operator", village=OTHER_VILLAGE)
    log_in(client, stranger, clock)
    page = page_of(client, tickets.objection)
    assert page.status_code == 404
    for hidden in ("550 mailbox unavailable", COMMENT, CONTACT, "Pesan kepada warga"):
        assert hidden not in page.text


def decide_then_appeal(app, reference, *, decided_again: dt.datetime | None = None):
    with app.app_context(), transaction():
        t = ticket_row(reference)
        for when, to_status, kind in (
            (at(20, 3), "accepted", "decided"),
            (at(23, 2), "in_review", "appealed"),
            *(((decided_again, "rejected", "decided"),) if decided_again else ()),
        ):
            db.session.add(
                TicketEvent(ticket_id=t.id, at=when, actor="resident" if kind == "appealed"
                            else "system", kind=kind, to_status=to_status, public=True)
            )  # fmt: skip
        t.appealed_at = at(23, 2)
        t.status = "rejected" if decided_again else "in_review"


def test_an_appealed_ticket_is_marked_with_the_decision_under_review(
    app, client, clock, people, tickets
):
    decide_then_appeal(app, tickets.objection)
    log_in(client, people.operator, clock)  # a public fact: every viewer sees it
    text = text_of(page_of(client, tickets.objection).text)
    assert (
        "Banding diajukan pada 23 Maret 2026; keputusan tanggal 20 Maret 2026 "
        "sedang ditinjau ulang." in text
    )
    assert "Banding diajukan" in text.split("Riwayat", 1)[1]  # the history names the event


def test_an_appeal_decided_in_turn_says_so(app, client, clock, people, tickets):
    decide_then_appeal(app, tickets.objection, decided_again=at(30, 4))
    log_in(client, people.handler, clock)
    text = text_of(page_of(client, tickets.objection).text)
    assert (
        "Banding diajukan pada 23 Maret 2026 atas keputusan tanggal 20 Maret 2026; "
        "banding sudah diputuskan pada 30 Maret 2026." in text
    )
    assert "sedang ditinjau ulang" not in text


def test_a_ticket_never_appealed_has_no_mark(app, client, clock, people, tickets):
    log_in(client, people.handler, clock)
    assert 'id="appeal"' not in page_of(client, tickets.objection).text
