"""The lookup result after a redirect (issue 9 §3.4, §3.5), the server-side
proof it rests on (SECURITY.md LK7) and what the result must show (§6)."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.registry.importer import import_snapshot
from portal.registry.models import LookupProof
from portal.tickets.models import Evidence, Ticket
from tests.factories import household, write_csv
from tests.web.conftest import post_lookup
from tests.web.journeys import PIN, answer_up_to_check, get, post, send

OBJECTION = {"subject": False, "village": False, "reasons": ("desil_too_high",)}


@pytest.fixture
def uploads(app, tmp_path, monkeypatch, db_clean):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))


def _lookups(caplog) -> int:
    return sum(
        1 for r in caplog.records if r.name == "portal.lookup" and r.getMessage() == "lookup"
    )


def _proofs(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LookupProof))


# -- §3.4, §3.5: POST, redirect, GET --------------------------------------------------
def test_reload_back_and_language_switch_show_the_result_without_a_new_lookup(
    client, registry, caplog
):
    head = registry["first"][0]
    caplog.set_level(logging.INFO, logger="portal.lookup")
    posted = post_lookup(client, head["nik"], head["full_name"], follow=False)
    assert posted.status_code == 303 and posted.headers["Location"] == "/lookup/result"
    for _ in range(3):  # a reload, Back then Forward: plain GETs
        page = client.get("/lookup/result")
        assert page.status_code == 200 and "B*** S******" in page.text
        assert page.headers["Cache-Control"] == "no-store"
    english = client.get("/lookup/result?lang=en")
    assert "Your household's status" in english.text and "B*** S******" in english.text
    assert "Desil 2" in english.text
    assert _lookups(caplog) == 1


def test_the_result_page_without_a_lookup_leads_to_the_form(client, db_clean):
    r = client.get("/lookup/result")
    assert r.status_code == 302 and r.headers["Location"] == "/lookup"


# -- §6: what the result shows ---------------------------------------------------------
def test_a_household_removed_from_the_snapshot_is_not_shown_as_registered(
    app, client, registry, tmp_path
):
    with app.app_context():  # a newer snapshot without the second household
        import_snapshot(write_csv(tmp_path / "newer.csv", registry["first"]), None)
    gone = registry["second"][0]
    page = post_lookup(client, gone["nik"], gone["full_name"]).text
    assert "Tidak ada di data DTSEN terbaru" in page
    assert "Terdaftar di DTSEN" not in page
    kept = registry["first"][0]
    page = post_lookup(client, kept["nik"], kept["full_name"]).text
    assert "Terdaftar di DTSEN" in page and "Tidak ada di data DTSEN terbaru" not in page


@pytest.mark.parametrize("typed", ["Budi", "Budi Santoso Putra", "Santoso", "Budi Santos"])
def test_a_name_that_is_only_part_of_the_registered_one_does_not_match(client, registry, typed):
    page = post_lookup(client, registry["first"][0]["nik"], typed)
    assert "Dukcapil" in page.text and "B*** S******" not in page.text


@pytest.mark.parametrize(
    "typed", ["Moh Ade Sopyan", "moh.ade sopyan", "H. Moh. Ade Sopyan, S.Pd.", "MOH. ADE SOPYAN"]
)
def test_punctuation_and_titles_do_not_matter(app, client, tmp_path, db_clean, typed):
    rows = household("3201011503100007", 7)
    rows[0]["full_name"] = "Moh. Ade Sopyan"
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "s.csv", rows), None)
    page = post_lookup(client, rows[0]["nik"], typed)
    assert "M*** A** S*****" in page.text


def test_every_programme_a_household_receives_is_shown(app, client, tmp_path, db_clean):
    rows = household("3201011503100009", 9, desil="1", programs="PKH;SEMBAKO;PBI_JK")
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "s.csv", rows), None)
    page = post_lookup(client, rows[0]["nik"], rows[0]["full_name"]).text
    assert page.count("rumah tangga Anda menerima program ini") == 3
    for name in ("PKH (Program Keluarga Harapan)", "Sembako / BPNT", "PBI-JK"):
        assert name in page


# -- LK7: the proof is server-side, expires, and ends at send --------------------------
def _copy_session(app, source):
    thief = app.test_client()
    thief.set_cookie("session", source.get_cookie("session").value)
    return thief


def _needs_a_lookup(client) -> bool:
    page = post(client, "/submit/objection", {"subkind": "own_ranking"})
    return 'href="/lookup"' in page.text and "Cek status" in page.text


def test_a_copied_cookie_reaches_nothing_after_sending(app, client, registry, uploads):
    head = registry["first"][0]
    post_lookup(client, head["nik"], head["full_name"])
    thief = _copy_session(app, client)
    assert "B*** S******" in thief.get("/lookup/result").text  # the same session, for now
    confirmation, _ = send(
        client, "objection", answer_up_to_check(client, "objection", "own_ranking", **OBJECTION)
    )
    assert PIN.search(confirmation.text)
    assert _proofs(app) == 0
    assert "B*** S******" not in thief.get("/lookup/result").text
    assert _needs_a_lookup(thief)
    # the "already under review" page and its file upload stay out of reach
    thief_check = get(thief, "/submit/objection/check")
    assert thief_check.status_code in (200, 302) and "Sudah diterima" not in thief_check.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
        assert db.session.scalar(select(func.count()).select_from(Evidence)) == 1


def test_the_proof_expires_after_thirty_minutes(app, client, registry, uploads, monkeypatch):
    import portal.web.public.lookup as view

    head = registry["first"][0]
    post_lookup(client, head["nik"], head["full_name"])
    start = dt.datetime.now(dt.UTC)
    monkeypatch.setattr(view, "_now", lambda: start + dt.timedelta(minutes=29))
    assert "B*** S******" in client.get("/lookup/result").text
    monkeypatch.setattr(view, "_now", lambda: start + dt.timedelta(minutes=31))
    gone = client.get("/lookup/result")
    assert gone.status_code == 200 and "B*** S******" not in gone.text
    assert "30 menit" in gone.text
    assert _needs_a_lookup(client)


def test_finishing_ends_the_proof(app, client, registry, uploads):
    head = registry["first"][0]
    page = post_lookup(client, head["nik"], head["full_name"])
    assert 'action="/lookup/done"' in page.text
    thief = _copy_session(app, client)
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    done = client.post("/lookup/done", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert _proofs(app) == 0
    assert "B*** S******" not in thief.get("/lookup/result").text
    assert _needs_a_lookup(thief)


def test_proofs_past_their_expiry_are_purged(app, client, registry):
    from portal.db import transaction
    from portal.registry.proofs import purge_expired_proofs

    head = registry["first"][0]
    post_lookup(client, head["nik"], head["full_name"])
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        with transaction():
            assert purge_expired_proofs(now + dt.timedelta(minutes=29)) == 0
        with transaction():
            assert purge_expired_proofs(now + dt.timedelta(minutes=31)) == 1
    assert _proofs(app) == 0
    out = app.test_cli_runner().invoke(args=["tickets", "purge-expired"]).output
    assert "removed 0 expired lookup proof(s)" in out


# -- §3.10: "Propose this household" preselects the resident's own household -----------
def test_propose_this_household_preselects_the_own_household(client, registry, db_clean):
    head = registry["first"][0]
    result = post_lookup(client, head["nik"], head["full_name"])
    link = "/submit/proposal?subkind=own_household"
    assert f'href="{link}"' in result.text
    assert "checked" in _own_household_radio(client.get(link).text)
    # without a lookup the link preselects nothing
    other = client.application.test_client()
    assert "checked" not in _own_household_radio(other.get(link).text)


def _own_household_radio(html: str) -> str:
    (tag,) = re.findall(r'<input[^>]*value="own_household"[^>]*>', html)
    return tag
