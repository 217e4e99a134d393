"""Submitting a ticket: routing, references, PIN and tracking token, drafts,
duplicates, idempotency (SECURITY.md RE1), all-or-nothing (RE2) and PIN
attempt limits (AU5)."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import secrets
import threading

import pytest
from lokal import wilayah
from sqlalchemy import event, func, select

from portal.db import transaction
from portal.extensions import db
from portal.regions.models import Office
from portal.regions.routing import UnknownVillage
from portal.staff.accounts import create_staff
from portal.tickets import references
from portal.tickets.access import open_by_pin, open_by_tracking_token
from portal.tickets.drafts import discard_draft, load_draft, purge_expired_drafts, save_draft
from portal.tickets.models import (
    P_DETAILS,
    P_SUBJECT_NAME,
    Draft,
    Evidence,
    OutboxMessage,
    Ticket,
    TicketEvent,
)
from portal.tickets.references import REFERENCE_ALPHABET, REFERENCE_PATTERN
from portal.tickets.service import (
    InvalidAnswers,
    add_evidence,
    answers_from_draft,
    evidence_gps,
    find_open_duplicate,
    submit_ticket,
)
from portal.tickets.workflow import Actor, transition
from tests.factories import VILLAGE
from tests.tickets import NOW, answers, make_household, submit

pytestmark = pytest.mark.usefixtures("db_clean")
TICKET_TABLES = (Ticket, TicketEvent, Evidence, OutboxMessage)


@dataclasses.dataclass(frozen=True)
class StoredFile:
    stored_name: str
    sha256: str
    size: int
    media_type: str = "image/jpeg"
    doc_type: str = "house_front"
    gps: tuple[float, float] | None = None


def stored_file(**over) -> StoredFile:
    values = {"stored_name": secrets.token_hex(16), "sha256": secrets.token_hex(32), "size": 1234}
    return StoredFile(**(values | over))


def first_village(regency: str) -> str:
    return min(code for code in wilayah._desa() if code.startswith(regency + "."))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- routing, references, secrets ------------------------------------------------------


@pytest.mark.parametrize(
    "regency",
    [
        pytest.param("11.01", id="aceh-selatan"),
        pytest.param("31.71", id="jakarta-pusat"),
        pytest.param("32.73", id="kota-bandung"),
        pytest.param("51.71", id="kota-denpasar"),
        pytest.param("53.71", id="kota-kupang"),
        pytest.param("64.72", id="kota-samarinda"),
        pytest.param("73.71", id="kota-makassar"),
        pytest.param("91.03", id="kabupaten-jayapura"),
        pytest.param("96.01", id="kabupaten-sorong"),
    ],
)
def test_ticket_goes_to_the_dinas_sosial_of_the_village(app_ctx, keyring, regency):
    village = first_village(regency)

    result = submit(keyring, answers(village_code=village))

    ticket = db.session.get(Ticket, result.ticket_id)
    office = db.session.get(Office, ticket.office_id)
    assert (office.code, office.region_code) == (f"dinsos-{regency}", regency)
    assert ticket.village_code == village


def test_an_unknown_village_is_refused(app_ctx, keyring):
    with pytest.raises(UnknownVillage), transaction():
        submit_ticket(
            answers(village_code="32.01.01.9999"), idempotency_key="k", keyring=keyring, now=NOW
        )
    assert count(Ticket) == 0


def test_references_use_the_unambiguous_alphabet():
    refs = {references.new_reference() for _ in range(2000)}

    assert len(refs) == 2000
    assert all(REFERENCE_PATTERN.fullmatch(r) for r in refs)
    used = set("".join(r[3:7] + r[8:] for r in refs))
    assert used <= set(REFERENCE_ALPHABET)
    assert not used & set("01OIL")


@pytest.mark.parametrize(
    "typed", ["DT-7KQ4-M9XW", "dt-7kq4-m9xw", " DT 7KQ4 M9XW ", "7KQ4M9XW", "dt7kq4m9xw"]
)
def test_parse_reference_accepts_what_people_type(typed):
    assert references.parse_reference(typed) == "DT-7KQ4-M9XW"


@pytest.mark.parametrize(
    "typed", ["", "DT-7KQ4-M9X", "DT-7KQ4-M9XO", "XX-7KQ4-M9XW", "DT7KQ4M9XW1"]
)
def test_parse_reference_refuses_what_cannot_be_one(typed):
    assert references.parse_reference(typed) is None


def test_submission_returns_reference_pin_and_token_once(app_ctx, keyring):
    result = submit(keyring)
    ticket = db.session.get(Ticket, result.ticket_id)

    assert REFERENCE_PATTERN.fullmatch(result.reference)
    assert ticket.reference == result.reference
    assert len(result.pin) == 6
    assert result.pin.isdigit()
    assert not result.already_submitted
    # The PIN is stored as a keyed Argon2id hash only.
    assert ticket.pin_hash.startswith("$argon2id$")
    assert references.verify_pin(keyring, ticket.reference, result.pin, ticket.pin_hash)
    wrong = f"{(int(result.pin) + 1) % 10**6:06d}"
    assert not references.verify_pin(keyring, ticket.reference, wrong, ticket.pin_hash)
    # The tracking token has 128 random bits; only its keyed digest is stored.
    raw = base64.urlsafe_b64decode(result.tracking_token + "==")
    assert len(raw) * 8 >= 128
    assert ticket.tracking_token_index == references.tracking_token_index(
        keyring, result.tracking_token
    )
    stored = db.session.execute(select(Ticket.__table__).where(Ticket.id == ticket.id)).one()
    for value in stored:
        if isinstance(value, str | bytes):
            text = value if isinstance(value, str) else value.decode("latin-1")
            assert result.tracking_token not in text
            assert result.pin not in text.replace(ticket.pin_hash, "")


def test_the_pin_hash_is_keyed(app_ctx, keyring):
    result = submit(keyring)
    ticket = db.session.get(Ticket, result.ticket_id)
    other = dataclasses.replace(keyring, index_key=secrets.token_bytes(32))

    assert not references.verify_pin(other, ticket.reference, result.pin, ticket.pin_hash)


def test_personal_data_is_encrypted_and_sla_dates_set(app_ctx, keyring):
    result = submit(keyring, answers(kind="objection", subkind="ineligible_recipient"))
    ticket = db.session.get(Ticket, result.ticket_id)

    assert keyring.decrypt(ticket.subject_name_enc, P_SUBJECT_NAME) == "Siti Aminah"
    assert "tidak bekerja" in keyring.decrypt(ticket.details_enc, P_DETAILS)
    assert ticket.reporter_confidential is True  # objection (b): always confidential
    assert ticket.reason_codes == "income_dropped"
    assert ticket.consent_version == "2026-01"
    assert (ticket.status, ticket.version) == ("submitted", 1)
    assert ticket.due_triage == dt.date(2026, 3, 26)  # Nyepi and Idulfitri in between
    assert ticket.due_verification == dt.date(2026, 3, 30)
    assert ticket.due_decision == dt.date(2026, 5, 15)


def test_a_registry_household_is_the_subject_when_known(app_ctx, keyring):
    household = make_household(keyring)

    result = submit(keyring, answers(household_id=household, village_code=None))

    ticket = db.session.get(Ticket, result.ticket_id)
    assert ticket.household_id == household
    assert ticket.village_code == VILLAGE
    assert ticket.subject_name_enc is None  # the registry describes it


@pytest.mark.parametrize(
    "over",
    [
        {"kind": "complaint"},
        {"subkind": "member_died"},  # a correction's subkind on a proposal
        {"consent_version": ""},
        {"subject_name": None},
        {"reason_codes": ("a;b",)},
        {"household_id": 10**9},
    ],
)
def test_answers_that_cannot_make_a_ticket_are_refused(app_ctx, keyring, over):
    with pytest.raises(InvalidAnswers), transaction():
        submit_ticket(answers(**over), idempotency_key="k", keyring=keyring, now=NOW)


def test_first_event_evidence_and_outbox(app_ctx, keyring):
    files = [stored_file(gps=(-6.9147, 107.6098)), stored_file(doc_type="kk", gps=None)]
    staff = create_staff(
        email="op@desa.example",
        display_name="Operator",
        role="operator",
        password=secrets.token_urlsafe(16),
        village_code=VILLAGE,
    )
    db.session.commit()

    given = answers(consent_method="in_person_verbal", consent_by="Siti Aminah")
    result = submit(keyring, given, evidence=files, staff_id=staff.id)

    ticket = db.session.get(Ticket, result.ticket_id)
    [first] = db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    assert (first.kind, first.to_status, first.actor) == (
        "submitted",
        "submitted",
        f"staff:{staff.id}",
    )
    assert ticket.submitted_by_staff_id == staff.id
    rows = db.session.scalars(select(Evidence).order_by(Evidence.id)).all()
    assert [(r.stored_name, r.sha256, r.size_bytes, r.doc_type) for r in rows] == [
        (f.stored_name, f.sha256, f.size, f.doc_type) for f in files
    ]
    assert evidence_gps(rows[0], keyring) == (-6.9147, 107.6098)
    assert rows[1].gps_enc is None and evidence_gps(rows[1], keyring) is None
    [message] = db.session.scalars(select(OutboxMessage))
    assert message.topic == "ticket.submitted"
    assert json.loads(message.payload) == {"ticket_id": ticket.id, "reference": ticket.reference}
    assert len(message.event_id) == 36
    assert message.sent_at is None


def test_a_resident_submission_is_by_the_resident(app_ctx, keyring):
    result = submit(keyring)
    actor = db.session.scalar(
        select(TicketEvent.actor).where(TicketEvent.ticket_id == result.ticket_id)
    )
    assert actor == "resident"


def test_more_evidence_for_an_open_ticket(app_ctx, keyring):
    result = submit(keyring, evidence=[stored_file()])
    ticket = db.session.get(Ticket, result.ticket_id)
    version = ticket.version
    later = NOW + dt.timedelta(days=1)

    with transaction():
        add_evidence(ticket, [stored_file(doc_type="kk")], Actor.resident(), now=later)

    assert count(Evidence) == 2
    assert ticket.version == version + 1
    kinds = db.session.scalars(
        select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()
    assert kinds == ["submitted", "evidence_added"]


def test_the_file_limit_per_ticket_holds(app, app_ctx, keyring):
    limit = app.config["MAX_FILES_PER_TICKET"]
    with pytest.raises(InvalidAnswers, match="at most"), transaction():
        submit_ticket(
            answers(),
            idempotency_key="k",
            keyring=keyring,
            now=NOW,
            evidence=[stored_file() for _ in range(limit + 1)],
        )
    ticket = db.session.get(Ticket, submit(keyring, evidence=[stored_file()]).ticket_id)

    with pytest.raises(InvalidAnswers, match="at most"):
        add_evidence(ticket, [stored_file() for _ in range(limit)], Actor.resident(), now=NOW)


def test_a_closed_ticket_takes_no_more_evidence(app_ctx, keyring):
    ticket = db.session.get(Ticket, submit(keyring).ticket_id)
    with transaction():
        transition(ticket, "withdrawn", Actor.resident(), now=NOW)

    with pytest.raises(InvalidAnswers, match="no more evidence"):
        add_evidence(ticket, [stored_file()], Actor.resident(), now=NOW)


# --- getting back to a ticket ------------------------------------------------------------


def test_open_by_tracking_token(app_ctx, keyring):
    result = submit(keyring)

    assert open_by_tracking_token(result.tracking_token, keyring=keyring).id == result.ticket_id
    assert open_by_tracking_token(references.new_tracking_token(), keyring=keyring) is None
    assert open_by_tracking_token("../../etc/passwd", keyring=keyring) is None


def _try_pin(keyring, reference, pin, now):
    with transaction():  # committed whatever the outcome: the count must stick
        check = open_by_pin(reference, pin, keyring=keyring, now=now)
    return check


def test_open_by_pin(app_ctx, keyring):
    result = submit(keyring)

    check = _try_pin(keyring, result.reference.lower(), result.pin, NOW)

    assert check.ticket.id == result.ticket_id
    assert check.locked_until is None


@pytest.fixture
def pin_lock(app, monkeypatch):
    """The per-ticket lock made small: 5 wrong PINs in a row lock for 30 minutes."""
    monkeypatch.setitem(app.config, "PIN_MAX_ATTEMPTS", 5)
    monkeypatch.setitem(app.config, "PIN_LOCK_MINUTES", 30)


def test_pin_attempts_are_limited_per_ticket(app_ctx, keyring, pin_lock):
    result = submit(keyring)
    wrong = f"{(int(result.pin) + 1) % 10**6:06d}"

    for _ in range(5):
        assert _try_pin(keyring, result.reference, wrong, NOW).ticket is None
    locked = _try_pin(keyring, result.reference, result.pin, NOW)  # right PIN, but locked

    assert locked.ticket is None
    assert locked.locked_until == NOW + dt.timedelta(minutes=30)
    later = NOW + dt.timedelta(minutes=31)
    assert _try_pin(keyring, result.reference, result.pin, later).ticket.id == result.ticket_id
    assert db.session.get(Ticket, result.ticket_id).pin_failures == 0


def test_a_right_pin_resets_the_count(app_ctx, keyring, pin_lock):
    result = submit(keyring)
    wrong = f"{(int(result.pin) + 1) % 10**6:06d}"
    for _ in range(4):
        _try_pin(keyring, result.reference, wrong, NOW)

    assert _try_pin(keyring, result.reference, result.pin, NOW).ticket is not None
    for _ in range(4):
        _try_pin(keyring, result.reference, wrong, NOW)
    assert _try_pin(keyring, result.reference, result.pin, NOW).ticket is not None


def test_parallel_guesses_cannot_pass_the_limit(app, keyring, pin_lock, monkeypatch):
    """16 guesses at once, 5 allowed: exactly 5 are checked, 11 find the lock.

    The count is one atomic UPDATE; on SQLite that UPDATE takes the database's
    write lock, held until the caller commits, i.e. across the PIN's Argon2
    check (~0.25 s a check on a 2-core machine, more under load). The other
    threads wait for the lock at most ``SQLITE_BUSY_TIMEOUT_MS`` (5 s): with
    16 real checks in a row the last ones used to give up ("database is
    locked", an exception in the thread, so fewer than 16 answers) when the
    machine was busy. The hash is not what this test is about (the tests above
    use the real one): a plain comparison keeps the chain of waits short, and
    a thread's exception is reported instead of lost."""
    with app.app_context():
        result = submit(keyring)
    monkeypatch.setattr(references, "verify_pin", lambda _k, _r, pin, _h: pin == result.pin)
    monkeypatch.setattr(references, "spend_pin_check_time", lambda _pin: None)
    guesses = [f"{n:06d}" for n in range(20) if f"{n:06d}" != result.pin][:16]
    checked, errors = [], []
    start = threading.Barrier(len(guesses))

    def guess(pin):
        with app.app_context():
            start.wait()
            try:
                checked.append(_try_pin(keyring, result.reference, pin, NOW))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(repr(exc))

    threads = [threading.Thread(target=guess, args=(pin,)) for pin in guesses]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len(checked) == 16
    assert sum(c.locked_until is None for c in checked) == 5  # only 5 were really checked
    assert sum(c.locked_until == NOW + dt.timedelta(minutes=30) for c in checked) == 11


def test_a_pin_failure_count_starts_afresh_after_a_lock_expires(app_ctx, keyring, pin_lock):
    result = submit(keyring)
    wrong = f"{(int(result.pin) + 1) % 10**6:06d}"
    for _ in range(5):
        _try_pin(keyring, result.reference, wrong, NOW)
    assert _try_pin(keyring, result.reference, wrong, NOW).locked_until is not None

    later = NOW + dt.timedelta(minutes=30, seconds=1)  # the lock is over
    assert _try_pin(keyring, result.reference, wrong, later).locked_until is None
    ticket = db.session.get(Ticket, result.ticket_id)
    db.session.refresh(ticket)
    assert (ticket.pin_failures, ticket.pin_locked_until) == (1, None)
    for _ in range(3):  # 4 in the new round: not yet a lock
        _try_pin(keyring, result.reference, wrong, later)
    assert _try_pin(keyring, result.reference, result.pin, later).ticket is not None


def test_the_default_lock_comes_far_later(app_ctx, keyring):
    """100 wrong PINs in a row lock the ticket for a day (the captcha and the
    per-address limits of /track come first)."""
    from sqlalchemy import update

    result = submit(keyring)
    wrong = f"{(int(result.pin) + 1) % 10**6:06d}"
    ticket_id = result.ticket_id
    db.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(pin_failures=98))
    db.session.commit()
    assert _try_pin(keyring, result.reference, wrong, NOW).locked_until is None  # 99th
    _try_pin(keyring, result.reference, wrong, NOW)  # 100th
    locked = _try_pin(keyring, result.reference, result.pin, NOW)
    assert locked.locked_until == NOW + dt.timedelta(hours=24)


def test_an_unknown_reference_looks_like_a_wrong_pin(app_ctx, keyring):
    for reference in ("DT-2222-2222", "not a reference"):
        check = _try_pin(keyring, reference, "123456", NOW)
        assert (check.ticket, check.locked_until) == (None, None)


# --- duplicates --------------------------------------------------------------------------


def test_find_open_duplicate_by_household(app_ctx, keyring):
    household = make_household(keyring)
    given = answers(kind="correction", subkind="member_died", household_id=household)
    first = submit(keyring, given)
    second = submit(keyring, given)

    found = find_open_duplicate("correction", household_id=household, exclude_id=second.ticket_id)

    assert found.id == first.ticket_id
    assert find_open_duplicate("proposal", household_id=household) is None
    with transaction():
        for ticket_id in (first.ticket_id, second.ticket_id):
            transition(db.session.get(Ticket, ticket_id), "withdrawn", Actor.resident(), now=NOW)
    assert find_open_duplicate("correction", household_id=household) is None


def test_find_open_duplicate_by_described_subject(app_ctx, keyring):
    first = submit(keyring, answers(subject_name="Siti  Aminah"))
    second = submit(keyring, answers(subject_name="SITI AMINAH"))
    third = submit(keyring, answers(subject_name="Siti Aisyah"))
    tickets = [db.session.get(Ticket, r.ticket_id) for r in (first, second, third)]

    assert tickets[0].subject_index == tickets[1].subject_index != tickets[2].subject_index
    found = find_open_duplicate(
        "proposal", subject_index=tickets[1].subject_index, exclude_id=tickets[1].id
    )
    assert found.id == first.ticket_id
    assert find_open_duplicate("proposal") is None


# --- drafts ------------------------------------------------------------------------------


def test_drafts_keep_answers_encrypted_until_they_expire(app, app_ctx, keyring):
    with transaction():
        draft_id = save_draft("proposal", {"subject_name": "Budi"}, keyring=keyring, now=NOW)
    with transaction():
        same = save_draft(
            "proposal",
            {"subject_name": "Budi Santoso", "reason_codes": ["income_dropped"]},
            keyring=keyring,
            now=NOW + dt.timedelta(hours=1),
            draft_id=draft_id,
        )

    assert same == draft_id
    assert len(base64.urlsafe_b64decode(draft_id + "==")) == 16
    assert b"Budi" not in db.session.get(Draft, draft_id).data_enc
    draft = load_draft(draft_id, keyring=keyring, now=NOW + dt.timedelta(hours=2))
    assert draft.answers["subject_name"] == "Budi Santoso"
    ttl = app.config.get("DRAFT_TTL_HOURS", 24)
    expiry = NOW + dt.timedelta(hours=1 + ttl)
    assert load_draft(draft_id, keyring=keyring, now=expiry) is None
    with transaction():
        assert purge_expired_drafts(expiry) == 1
    assert count(Draft) == 0


def test_submitting_a_draft_discards_it(app_ctx, keyring):
    values = dataclasses.asdict(answers())
    with transaction():
        draft_id = save_draft("proposal", values, keyring=keyring, now=NOW)
    draft = load_draft(draft_id, keyring=keyring, now=NOW)

    submit(keyring, answers_from_draft(draft), draft_id=draft_id)

    assert load_draft(draft_id, keyring=keyring, now=NOW) is None
    with transaction():
        discard_draft(draft_id)  # discarding twice is harmless


# --- RE1: one ticket per idempotency key --------------------------------------------------


def test_a_second_submit_with_the_same_key_returns_the_first_ticket(app_ctx, keyring):
    first = submit(keyring, key="form-123")
    again = submit(keyring, key="form-123")

    assert again.already_submitted
    assert (again.ticket_id, again.reference) == (first.ticket_id, first.reference)
    assert (again.pin, again.tracking_token) == (None, None)  # never a second PIN
    assert count(Ticket) == 1
    assert count(OutboxMessage) == 1


def test_two_threads_submitting_the_same_key_make_one_ticket(app, keyring):
    """Both threads pass the "already submitted?" check before either inserts;
    the UNIQUE constraint decides, and the loser returns the winner's ticket."""
    both_checked = threading.Barrier(2, timeout=20)
    results, errors = [], []

    def wait_for_the_other(*_):
        both_checked.wait()

    def submit_in_thread():
        try:
            with app.app_context():
                results.append(submit(keyring, key="same-form"))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    event.listen(Ticket, "before_insert", wait_for_the_other)
    try:
        threads = [threading.Thread(target=submit_in_thread) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        event.remove(Ticket, "before_insert", wait_for_the_other)

    assert errors == []
    assert sorted(r.already_submitted for r in results) == [False, True]
    assert len({(r.ticket_id, r.reference) for r in results}) == 1
    with app.app_context():
        assert [count(m) for m in TICKET_TABLES] == [1, 1, 0, 1]


# --- RE2: all or nothing ------------------------------------------------------------------


class Fault(RuntimeError):
    pass


def _boom(*_args, **_kw):
    raise Fault("injected")


FAULTS = {
    "after_ticket_insert": (Ticket, "after_insert"),
    "after_evidence_rows": (Evidence, "after_insert"),
    "after_outbox_row": (OutboxMessage, "after_insert"),
    "at_commit": (None, "commit"),
}


@pytest.mark.parametrize("step", list(FAULTS))
def test_a_fault_at_any_step_leaves_nothing(app_ctx, keyring, step):
    target, name = FAULTS[step]
    target = target or db.engine
    with transaction():
        draft_id = save_draft("proposal", {"a": 1}, keyring=keyring, now=NOW)
    files = [stored_file(), stored_file()]

    event.listen(target, name, _boom)
    try:
        with pytest.raises(Fault):
            submit(keyring, key="form-re2", evidence=files, draft_id=draft_id)
    finally:
        event.remove(target, name, _boom)

    assert [count(m) for m in TICKET_TABLES] == [0, 0, 0, 0]
    assert load_draft(draft_id, keyring=keyring, now=NOW) is not None
    # The same form can then be sent again and goes through whole.
    retry = submit(keyring, key="form-re2", evidence=files, draft_id=draft_id)
    assert not retry.already_submitted
    assert [count(m) for m in TICKET_TABLES] == [1, 1, 2, 1]
