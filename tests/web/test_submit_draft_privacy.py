"""A draft bound to a household follows that household's proof only (a
village office PC: the next resident must never see, continue or send it),
and the proof lasts 30 minutes since the last step, 3 hours at most."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.registry.models import LookupProof
from portal.tickets.models import Draft, Evidence, Ticket
from tests.web.conftest import post_lookup
from tests.web.journeys import get, jpeg, post, upload


@pytest.fixture
def uploads(app, tmp_path, monkeypatch, db_clean):
    root = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(root))
    return root


def _files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _resident_a_starts(client, registry):
    """Resident A checks their status, starts a correction, types a private
    text and uploads their KTP."""
    a = registry["first"][0]
    post_lookup(client, a["nik"], a["full_name"])
    assert post(client, "/submit/correction", {"subkind": "house_changed"}).status_code == 302
    r = post(client, "/submit/correction/reasons", {"details": "Rahasia keluarga A"})
    assert r.headers["Location"] == "/submit/correction/evidence"
    assert upload(client, "correction", jpeg(), doc_type="ktp").status_code == 302
    assert get(client, "/submit/correction/evidence/0/preview").status_code == 200


def _expire_proofs(app) -> None:
    with app.app_context():
        past = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        db.session.execute(update(LookupProof).values(expires_at=past))
        db.session.commit()


def test_i_am_done_discards_the_draft_and_its_files(app, client, registry, uploads):
    _resident_a_starts(client, registry)
    assert len(_files(uploads)) == 1
    post(client, "/lookup/done")
    assert get(client, "/submit/correction/evidence/0/preview").status_code == 404
    page = get(client, "/submit/correction/reasons", follow_redirects=True)
    assert "Rahasia keluarga A" not in page.text
    assert _count(app, Draft) == 0
    assert _files(uploads) == []


def test_the_next_residents_lookup_never_continues_the_last_draft(app, client, registry, uploads):
    _resident_a_starts(client, registry)
    b = registry["second"][0]
    post_lookup(client, b["nik"], b["full_name"])  # no "I am done" in between
    assert _count(app, Draft) == 0 and _files(uploads) == []
    assert get(client, "/submit/correction/evidence/0/preview").status_code == 404
    # B starts afresh: the first question, nothing of A's on any page.
    assert get(client, "/submit/correction/reasons").headers["Location"] == "/submit/correction"
    post(client, "/submit/correction", {"subkind": "house_changed"})
    assert "Rahasia keluarga A" not in get(client, "/submit/correction/reasons").text


def test_a_lookup_that_finds_nothing_discards_a_bound_draft(app, client, registry, uploads):
    _resident_a_starts(client, registry)
    post_lookup(client, "3201011508809999", "Bukan Siapa Siapa")
    assert _count(app, Draft) == 0 and _files(uploads) == []


def test_a_draft_started_before_the_lookup_goes_on_after_it(app, client, registry, uploads):
    """The designed path: choose a correction, be asked to check first, come back."""
    assert post(client, "/submit/correction", {"subkind": "house_changed"}).status_code == 200
    a = registry["first"][0]
    post_lookup(client, a["nik"], a["full_name"])
    assert get(client, "/submit/correction").status_code == 200
    assert post(client, "/submit/correction", {"subkind": "house_changed"}).status_code == 302
    assert get(client, "/submit/correction/reasons").status_code == 200


def test_an_expired_check_holds_the_draft_and_says_why(app, client, registry, uploads):
    """A POST after the proof expired is not re-routed (no subject or village
    question, no request without its registry link): the page says the
    check expired; the same household's next lookup resumes the draft."""
    head = registry["first"][0]
    post_lookup(client, head["nik"], head["full_name"])
    post(client, "/submit/proposal", {"subkind": "own_household"})
    post(client, "/submit/proposal/reasons", {"reason_codes": ["no_income"], "details": "Teks A"})
    _expire_proofs(app)
    page = post(client, "/submit/proposal/evidence", {"action": "continue"})
    assert page.status_code == 200
    assert "tidak ada kegiatan" in page.text and "Teks A" not in page.text
    assert get(client, "/submit/proposal/subject").status_code == 200  # the same page, held
    assert "Teks A" not in get(client, "/submit/proposal/check").text
    post_lookup(client, head["nik"], head["full_name"])
    resumed = get(client, "/submit/proposal/reasons")
    assert resumed.status_code == 200 and "Teks A" in resumed.text
    # The POST made while expired was not saved: evidence is still unanswered.
    assert get(client, "/submit/proposal/check").headers["Location"] == "/submit/proposal/evidence"


def test_add_to_request_under_review_never_takes_another_households_draft(
    app, client, registry, uploads
):
    """B's open request must not receive A's text and KTP."""
    from tests.web.journeys import answer_up_to_check, send

    b = registry["second"][0]
    post_lookup(client, b["nik"], b["full_name"])
    kw = {"subject": False, "village": False, "reasons": (), "files": 0}
    send(client, "correction", answer_up_to_check(client, "correction", "house_changed", **kw))
    _resident_a_starts(client, registry)
    post_lookup(client, b["nik"], b["full_name"])
    post(client, "/submit/correction", {"subkind": "house_changed"})
    assert get(client, "/submit/correction/reasons").headers["Location"].endswith("/already")
    post(client, "/submit/correction/add-to-existing")
    assert "Rahasia keluarga A" not in get(client, "/submit/correction/reasons").text
    assert get(client, "/submit/correction/evidence/0/preview").status_code == 404
    assert _count(app, Evidence) == 0 and _count(app, Ticket) == 1


def _proof(app):
    with app.app_context():
        return db.session.scalars(select(LookupProof)).one()


def _set_proof(app, created_ago: dt.timedelta, expires_in: dt.timedelta) -> dt.datetime:
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        db.session.execute(
            update(LookupProof).values(created_at=now - created_ago, expires_at=now + expires_in)
        )
        db.session.commit()
    return now


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def test_each_step_renews_the_check_for_thirty_minutes(app, client, registry, uploads):
    head = registry["first"][0]
    post_lookup(client, head["nik"], head["full_name"])
    # Looked up 28 minutes ago: 2 minutes left. A step renews it to 30.
    before = _set_proof(app, dt.timedelta(minutes=28), dt.timedelta(minutes=2))
    post(client, "/submit/proposal", {"subkind": "own_household"})
    expires = _utc(_proof(app).expires_at)
    assert before + dt.timedelta(minutes=29) < expires < before + dt.timedelta(minutes=31)


def test_renewal_stops_three_hours_after_the_lookup(app, client, registry, uploads):
    head = registry["first"][0]
    post_lookup(client, head["nik"], head["full_name"])
    # Looked up 2 h 50 min ago: renewing gives 10 minutes, not 30.
    before = _set_proof(app, dt.timedelta(minutes=170), dt.timedelta(minutes=2))
    post(client, "/submit/proposal", {"subkind": "own_household"})
    expires = _utc(_proof(app).expires_at)
    assert before + dt.timedelta(minutes=9) < expires < before + dt.timedelta(minutes=11)


# Two clicks, two tabs: the draft is claimed once ---------------------------------------


def _race(app, client, path: str, keys: list[str]) -> list:
    """POST ``path`` from two threads sharing the client's session, each with
    its own idempotency key (two tabs) or the same one (a double click)."""
    from tests.web.conftest import csrf_token

    token = csrf_token(client, "/track")
    cookie = client.get_cookie("session")
    results, barrier = [], threading.Barrier(len(keys))

    def send_once(key):
        other = app.test_client()
        other.set_cookie("session", cookie.value)
        barrier.wait()
        results.append(other.post(path, data={"csrf_token": token, "idempotency_key": key}))

    threads = [threading.Thread(target=send_once, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_tabs_sending_one_draft_make_one_ticket(app, client, uploads):
    from tests.web.journeys import IDEMPOTENCY, answer_up_to_check

    check = answer_up_to_check(client, "proposal", "other_household")
    first = IDEMPOTENCY.search(check.text).group(1)
    second = IDEMPOTENCY.search(get(client, "/submit/proposal/check").text).group(1)
    assert first != second
    results = _race(app, client, "/submit/proposal/check", [first, second])
    # Both tabs land on the confirmation of the one request sent.
    assert sorted(r.status_code for r in results) == [303, 303]
    assert {r.headers["Location"] for r in results} == {"/submit/sent"}
    assert _count(app, Ticket) == 1 and _count(app, Evidence) == 1


def test_two_clicks_on_add_to_the_request_add_once(app, client, registry, uploads):
    from portal.tickets.models import TicketEvent
    from tests.web.journeys import IDEMPOTENCY, answer_up_to_check, send

    head = registry["first"][0]
    post_lookup(client, head["nik"], head["full_name"])
    kw = {"subject": False, "village": False, "reasons": (), "files": 0}
    send(client, "correction", answer_up_to_check(client, "correction", "house_changed", **kw))
    post_lookup(client, head["nik"], head["full_name"])
    post(client, "/submit/correction", {"subkind": "house_changed"})
    assert post(client, "/submit/correction/add-to-existing").status_code == 302
    post(client, "/submit/correction/reasons", {"details": "Atap bocor lagi."})
    upload(client, "correction", jpeg(), doc_type="house_front")
    post(client, "/submit/correction/evidence", {"action": "continue"})
    post(client, "/submit/correction/consent", {"consent": "y"})
    check = get(client, "/submit/correction/check")
    key = IDEMPOTENCY.search(check.text).group(1)
    results = _race(app, client, "/submit/correction/check", [key, key])
    # The added page, for the loser too unless it came after the winner had
    # finished (then the journey is over and it goes back to its start).
    statuses = sorted(r.status_code for r in results)
    assert statuses in ([200, 200], [200, 302]), statuses
    assert _count(app, Ticket) == 1 and _count(app, Evidence) == 1
    with app.app_context():
        added = select(func.count()).where(TicketEvent.kind == "resident_added")
        assert db.session.scalar(added) == 1


def test_a_page_posted_as_a_duplicate_appears_is_kept(app, client, registry, uploads):
    """Another member of the household sends the same correction while this
    resident types: the text they post is kept for adding to that request."""
    from tests.web.journeys import answer_up_to_check, send

    head = registry["first"][0]
    post_lookup(client, head["nik"], head["full_name"])
    post(client, "/submit/correction", {"subkind": "house_changed"})
    assert get(client, "/submit/correction/reasons").status_code == 200
    other = app.test_client()
    post_lookup(other, head["nik"], head["full_name"])
    kw = {"subject": False, "village": False, "reasons": (), "files": 0}
    send(other, "correction", answer_up_to_check(other, "correction", "house_changed", **kw))
    moved = post(client, "/submit/correction/reasons", {"details": "Dinding retak besar."})
    assert moved.headers["Location"] == "/submit/correction/already"
    post(client, "/submit/correction/add-to-existing")
    assert "Dinding retak besar." in get(client, "/submit/correction/reasons").text


def test_a_bound_draft_is_never_saved_under_another_household(app, registry, keyring):
    from portal.registry.models import Household
    from portal.tickets.drafts import save_draft
    from portal.tickets.service import InvalidAnswers

    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        first, second = db.session.scalars(select(Household.id).order_by(Household.id)).all()
        draft_id = save_draft("correction", {}, keyring=keyring, now=now, household_id=first)
        for other in (second, None):
            with pytest.raises(InvalidAnswers):
                save_draft(
                    "correction",
                    {},
                    keyring=keyring,
                    now=now,
                    draft_id=draft_id,
                    household_id=other,
                )
        assert (
            save_draft(
                "correction",
                {"a": 1},
                keyring=keyring,
                now=now,
                draft_id=draft_id,
                household_id=first,
            )
            == draft_id
        )
        db.session.rollback()


# Adding to a request that cannot take it --------------------------------------------


def _adding_up_to_check(app, client, registry):
    """The household's correction is under review (with one file); this
    resident adds a text and one file to it, up to the check page."""
    from tests.web.journeys import IDEMPOTENCY, answer_up_to_check, send

    head = registry["first"][0]
    post_lookup(client, head["nik"], head["full_name"])
    kw = {"subject": False, "village": False, "reasons": (), "files": 1}
    send(client, "correction", answer_up_to_check(client, "correction", "house_changed", **kw))
    post_lookup(client, head["nik"], head["full_name"])
    post(client, "/submit/correction", {"subkind": "house_changed"})
    post(client, "/submit/correction/add-to-existing")
    post(client, "/submit/correction/reasons", {"details": "Atap bocor lagi."})
    upload(client, "correction", jpeg(), doc_type="house_front")
    post(client, "/submit/correction/evidence", {"action": "continue"})
    post(client, "/submit/correction/consent", {"consent": "y"})
    check = get(client, "/submit/correction/check")
    return IDEMPOTENCY.search(check.text).group(1)


def test_a_full_request_says_so_and_offers_a_new_request(
    app, client, registry, uploads, monkeypatch
):
    from tests.web.journeys import IDEMPOTENCY, PIN

    monkeypatch.setitem(app.config, "MAX_FILES_PER_TICKET", 1)
    key = _adding_up_to_check(app, client, registry)
    full = post(client, "/submit/correction/check", {"idempotency_key": key})
    assert full.status_code == 409
    assert "tidak ada yang ditambahkan" in full.text
    assert "nomor tiket" not in full.text.lower()  # no reference it never showed
    # Trying again does not land on the same page: the resident chooses a new request.
    moved = post(client, "/submit/correction/send-as-new")
    assert moved.headers["Location"] == "/submit/correction/contact"
    post(client, "/submit/correction/contact", {"contact": ""})
    check = get(client, "/submit/correction/check")
    assert check.status_code == 200 and "Atap bocor lagi." in check.text
    key = IDEMPOTENCY.search(check.text).group(1)
    sent = post(client, "/submit/correction/check", {"idempotency_key": key})
    assert PIN.search(get(client, sent.headers["Location"]).text)
    assert _count(app, Ticket) == 2


def test_a_request_decided_while_adding_goes_on_as_a_new_request(
    app, client, registry, uploads, monkeypatch
):
    """Decided between the check and the adding: not the "full" page, but
    the contact question of a new request, with the answers kept."""
    from portal.tickets.service import InvalidAnswers
    from portal.web.public import adding, journey

    key = _adding_up_to_check(app, client, registry)

    def decided_meanwhile(ticket, *args, **kw):
        monkeypatch.setattr(journey, "find_open_duplicate", lambda *a, **k: None)
        raise InvalidAnswers("the ticket is decided or closed: it takes no additions")

    monkeypatch.setattr(adding, "add_resident_addition", decided_meanwhile)
    moved = post(client, "/submit/correction/check", {"idempotency_key": key})
    assert moved.headers["Location"] == "/submit/correction/contact"
    page = get(client, "/submit/correction/contact")
    assert "sudah diputuskan" in page.text
    assert _count(app, Draft) == 1
