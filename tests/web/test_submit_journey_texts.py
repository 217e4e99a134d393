"""Issue 9, §3.7, §3.10 and §4: what the journey says and accepts. Expected
texts are written out by hand, in Indonesian (the default language)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.db import keyring
from portal.extensions import db
from portal.tickets.models import P_DETAILS, P_REPORTER_CONTACT, Ticket
from tests.web.conftest import post_lookup
from tests.web.journeys import PIN, answer_up_to_check, get, post, send

TITLE = re.compile(r"<title>(.*?)</title>", re.S)
H1 = re.compile(r"<h1>(.*?)</h1>", re.S)


@pytest.fixture
def uploads(app, tmp_path, monkeypatch, db_clean):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))


def _ticket(app) -> dict:
    with app.app_context():
        t = db.session.scalar(select(Ticket))
        ring = keyring()
        return {
            "details": ring.decrypt(t.details_enc, P_DETAILS) if t.details_enc else None,
            "contact": (
                ring.decrypt(t.reporter_contact_enc, P_REPORTER_CONTACT)
                if t.reporter_contact_enc
                else None
            ),
        }


# §3.7: who an officer may visit ---------------------------------------------------------

OWN_VISIT = "Petugas mungkin datang ke rumah Anda: siapkan KTP dan Kartu Keluarga (KK)."
REPORTED_VISIT = (
    "Petugas mungkin mengunjungi rumah tangga yang Anda laporkan. "
    "Nama Anda tidak akan disebutkan kepada mereka."
)
PROPOSED_VISIT = (
    "Petugas mungkin mengunjungi rumah tangga yang Anda usulkan. Anda tidak perlu ada di sana."
)


@pytest.mark.parametrize(
    ("kind", "subkind", "reasons", "expected"),
    [
        ("objection", "ineligible_recipient", ("well_off",), REPORTED_VISIT),
        ("proposal", "other_household", ("no_income",), PROPOSED_VISIT),
    ],
)
def test_a_report_about_another_household_does_not_ask_for_the_reporters_ktp(
    app, client, uploads, kind, subkind, reasons, expected
):
    check = answer_up_to_check(client, kind, subkind, reasons=reasons, files=0)
    page, _ = send(client, kind, check)
    assert PIN.search(page.text)
    assert expected in page.text
    assert "KTP" not in page.text and "rumah Anda" not in page.text


def test_a_request_about_ones_own_household_asks_for_the_ktp(app, client, registry, uploads):
    head = registry["first"][0]
    assert post_lookup(client, head["nik"], head["full_name"]).status_code == 200
    check = answer_up_to_check(
        client, "proposal", "own_household", subject=False, village=False, files=0
    )
    page, _ = send(client, "proposal", check)
    assert OWN_VISIT in page.text


# §3.10: hints that match the checks --------------------------------------------------------


def test_the_subject_hint_does_not_call_the_required_name_optional(client, uploads):
    post(client, "/submit/proposal", {"subkind": "other_household"})
    page = get(client, "/submit/proposal/subject")
    assert "jika Anda tahu" not in page.text
    assert "Jika tidak tahu, tulis nama yang biasa dipakai orang" in page.text
    empty = post(client, "/submit/proposal/subject", {"subject_name": "", "subject_address": "x"})
    assert empty.status_code == 400
    assert "Isi nama kepala keluarga" in empty.text


def test_reasons_for_another_household_are_not_in_the_first_person(client, uploads):
    post(client, "/submit/proposal", {"subkind": "other_household"})
    post(client, "/submit/proposal/subject", {"subject_name": "Siti", "subject_address": "Jl. 1"})
    from tests.web.journeys import choose_village

    choose_village(client, "proposal")
    page = get(client, "/submit/proposal/reasons")
    assert page.status_code == 200
    assert "Penghasilan rumah tangga ini sedikit atau tidak ada" in page.text
    assert " kami " not in page.text.lower() and "Penghasilan kami" not in page.text


def _to_objection_reasons(client):
    post(client, "/submit/objection", {"subkind": "ineligible_recipient"})
    post(client, "/submit/objection/subject", {"subject_name": "Budi", "subject_address": "Jl. 2"})
    from tests.web.journeys import choose_village

    choose_village(client, "objection")


def test_another_reason_needs_its_explanation(client, uploads):
    _to_objection_reasons(client)
    bare = post(client, "/submit/objection/reasons", {"reason_codes": ["other"], "details": ""})
    assert bare.status_code == 400
    assert "Anda memilih alasan lain: tuliskan alasannya" in bare.text
    assert 'id="details-error"' in bare.text or "details" in bare.text
    said = post(
        client,
        "/submit/objection/reasons",
        {"reason_codes": ["other"], "details": "Punya toko besar di pasar."},
    )
    assert said.status_code == 302


def test_a_listed_reason_needs_no_explanation(client, uploads):
    _to_objection_reasons(client)
    ok = post(client, "/submit/objection/reasons", {"reason_codes": ["well_off"], "details": ""})
    assert ok.status_code == 302


def test_the_first_question_page_names_its_kind_once(client, uploads):
    page = get(client, "/submit/proposal")
    title = TITLE.search(page.text).group(1)
    assert title.count("Usulkan rumah tangga") == 1, title
    assert page.text.count("Usulkan rumah tangga") == 2  # <title> and <h1>, no caption
    assert H1.search(page.text).group(1).strip() == "Usulkan rumah tangga"
    # A later page still says which kind it belongs to.
    post(client, "/submit/proposal", {"subkind": "other_household"})
    later = TITLE.search(get(client, "/submit/proposal/subject").text).group(1)
    assert "Rumah tangga yang mana?" in later and "Usulkan rumah tangga" in later


# §3.10: a tracking link that opens nothing ---------------------------------------------


def test_a_bad_tracking_link_points_to_track_with_one_page_for_every_case(client, db_clean):
    unknown = client.get("/t/" + "A" * 22)  # well formed, no such ticket
    cut_off = client.get("/t/AAAAAAAAAA")  # too short: mistyped or cut off
    receipt = client.get("/t/" + "A" * 22 + "/receipt.pdf")
    for response in (unknown, cut_off, receipt):
        assert response.status_code == 404
        assert 'href="/track"' in response.text
        assert "Tautan pemantauan ini tidak berfungsi" in response.text
        assert "AAAAAAAAAA" not in response.text
    assert unknown.text == cut_off.text == receipt.text
    english = client.get("/t/" + "A" * 22 + "?lang=en")
    assert english.status_code == 404 and "This tracking link does not work" in english.text


# §4: free text and contact -------------------------------------------------------------


def test_control_and_bidi_characters_are_removed_line_breaks_kept(app, client, uploads):
    details = "Rumah\x00 bocor\u202e sejak\u2066 Mei.\r\nAtap\tseng rusak.\x1b[31m"
    answer_up_to_check(
        client,
        "objection",
        "ineligible_recipient",
        reasons=("well_off",),
        files=0,
        details=details,
    )
    send(client, "objection", get(client, "/submit/objection/check"))
    assert _ticket(app)["details"] == "Rumah bocor sejak Mei.\nAtap seng rusak.[31m"


def test_a_one_line_field_loses_its_line_breaks_too(client, uploads):
    post(client, "/submit/proposal", {"subkind": "other_household"})
    post(
        client,
        "/submit/proposal/subject",
        {"subject_name": "Siti\u202e\r\nAminah\x00", "subject_address": "Jl. 1"},
    )
    check = get(client, "/submit/proposal/subject")
    assert 'value="Siti Aminah"' in check.text


@pytest.mark.parametrize(
    "contact",
    [
        "<script>alert(1)</script>@example.com",
        'a"onmouseover="x"@example.com',
        "nama@<b>example</b>.com",
        "nama@example",
        "nama@@example.com",
    ],
)
def test_an_email_with_markup_or_no_domain_is_refused(client, uploads, contact):
    post(client, "/submit/proposal", {"subkind": "other_household"})
    page = _contact_page(client)
    assert page.status_code == 200
    refused = post(client, "/submit/proposal/contact", {"contact": contact})
    assert refused.status_code == 400
    assert "Isi alamat email seperti nama@contoh.com" in refused.text


def _contact_page(client):
    from tests.web.journeys import choose_village

    post(client, "/submit/proposal/subject", {"subject_name": "Siti", "subject_address": "Jl. 1"})
    choose_village(client, "proposal")
    post(client, "/submit/proposal/reasons", {"reason_codes": ["no_income"], "details": ""})
    post(client, "/submit/proposal/evidence", {"action": "continue"})
    return get(client, "/submit/proposal/contact")


def test_a_plain_email_is_kept(app, client, uploads):
    check = answer_up_to_check(
        client, "proposal", "other_household", files=0, contact="siti.aminah+desa@example.co.id"
    )
    send(client, "proposal", check)
    assert _ticket(app)["contact"] == "siti.aminah+desa@example.co.id"
