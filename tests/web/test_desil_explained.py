""" "Why is my desil this?" on the lookup result (issue 15 §3): the action for
every case, the recorded house conditions (and nothing LK1 forbids), the next
update's setting and both languages.

Expected texts and links come from the tables below, written by hand from the
issue's rule (data wrong → correction, ranking wrong although the data is
right → objection, not in the registry → proposal) and the Indonesian
catalog's words, not from ``portal/web/public/desil_why.py``.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import update

from portal.extensions import db
from portal.registry.importer import import_snapshot
from portal.registry.models import Household
from tests.factories import household, write_csv
from tests.web.conftest import post_lookup

CORRECTION = "/submit/correction"
OBJECTION = "/submit/objection?subkind=own_ranking"
PROPOSAL = "/submit/proposal?subkind=own_household"

#: desil ("" = not yet ranked) → (the one button's link, the objection link or
#: None, a sentence only this case has).
ACTIONS = {
    "1": (CORRECTION, None, "Desil 1 adalah yang paling rendah: tidak bisa diturunkan lagi."),
    "2": (CORRECTION, OBJECTION, "desil 2 terlalu tinggi untuk rumah tangga Anda"),
    "3": (CORRECTION, OBJECTION, "desil 3 terlalu tinggi untuk rumah tangga Anda"),
    "4": (CORRECTION, OBJECTION, "desil 4 terlalu tinggi untuk rumah tangga Anda"),
    "5": (CORRECTION, OBJECTION, "desil 5 terlalu tinggi untuk rumah tangga Anda"),
    "6": (CORRECTION, OBJECTION, "desil 6 terlalu tinggi untuk rumah tangga Anda"),
    "7": (CORRECTION, OBJECTION, "desil 7 terlalu tinggi untuk rumah tangga Anda"),
    "8": (CORRECTION, OBJECTION, "desil 8 terlalu tinggi untuk rumah tangga Anda"),
    "9": (CORRECTION, OBJECTION, "desil 9 terlalu tinggi untuk rumah tangga Anda"),
    "10": (CORRECTION, OBJECTION, "desil 10 terlalu tinggi untuk rumah tangga Anda"),
    "": (
        CORRECTION,
        None,
        "BPS akan memeringkat rumah tangga Anda pada pembaruan berikutnya.",
    ),
}
#: Sentences that belong to one case only: none of the others may show them.
ONLY = {
    "lowest": "Desil 1 adalah yang paling rendah",
    "object": "ajukan sanggahan desil",
    "wait": "BPS akan memeringkat",
    "propose": "Usulkan rumah tangga Anda",
}

#: A poor house, every column a different code, and its words in Indonesian.
POOR_HOUSE = {
    "floor_area_m2": "21",
    "floor_material": "tanah",
    "wall_material": "anyaman",
    "roof_material": "ijuk_rumbia",
    "drinking_water": "sungai",
    "lighting_source": "non_pln",
    "cooking_fuel": "kayu_bakar",
    "toilet_facility": "tidak_ada",
    "home_ownership": "kontrak_sewa",
}
POOR_HOUSE_WORDS = [
    ("Luas lantai (m²)", "21"),
    ("Lantai", "Tanah"),
    ("Dinding", "Anyaman bambu/rumbia"),
    ("Atap", "Ijuk/rumbia"),
    ("Air minum", "Sungai/danau/kolam"),
    ("Penerangan", "Listrik non-PLN"),
    ("Bahan bakar memasak", "Kayu bakar"),
    ("Jamban", "Tidak ada jamban"),
    ("Status kepemilikan rumah", "Kontrak/sewa"),
    ("Anggota rumah tangga", "3 orang"),
]

WHY = re.compile(r'<details class="queue-filters" id="why">(.*?)</details>', re.S)
ROW = re.compile(r"<dt>(.*?)</dt><dd>(.*?)</dd>", re.S)
BUTTON = re.compile(r'<a href="([^"]*)" class="button button-start"')


def _imported(app, tmp_path, rows):
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "s.csv", rows), None)
    return rows


def _why(page: str) -> str:
    """The explanation's HTML (``_text``: its words, entities decoded)."""
    (section,) = WHY.findall(page)
    return section


def _text(section: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", section))


def _result(client, rows, lang: str | None = None) -> str:
    post_lookup(client, rows[0]["nik"], rows[0]["full_name"])
    return client.get("/lookup/result" + (f"?lang={lang}" if lang else "")).text


def _assert_lk1(page: str, rows) -> None:
    """SECURITY.md LK1: no unmasked name, no NIK, no KK, no address."""
    for row in rows:
        assert row["full_name"] not in page and row["nik"] not in page
    assert rows[0]["kk_number"] not in page
    assert "Melati" not in page and "RT 001" not in page


@pytest.mark.parametrize("desil", list(ACTIONS))
def test_the_one_action_for_every_desil_and_for_not_yet_ranked(
    app, client, tmp_path, db_clean, desil
):
    rows = _imported(app, tmp_path, household("3201011503100011", 11, desil=desil))
    why = _why(_result(client, rows))
    button, objection, sentence = ACTIONS[desil]
    assert BUTTON.findall(why) == [button]  # one call to action
    assert sentence in _text(why)
    assert (f'href="{objection}"' in why) is (objection is not None)
    shown = {k for k, text in ONLY.items() if text in why}
    expected = {"": {"wait"}, "1": {"lowest"}}.get(desil, {"object"})
    assert shown == expected
    assert "Periksa data rumah tangga Anda" in why  # the conditions to check


def test_a_household_not_in_the_latest_data_is_sent_to_a_proposal(app, client, tmp_path, db_clean):
    kept = household("3201011503100012", 12)
    gone = _imported(app, tmp_path, household("3201011503100013", 13, desil="3") + kept)[:3]
    _imported(app, tmp_path, kept)  # a newer snapshot without it
    page = _result(client, gone)
    why = _why(page)
    assert "Tidak ada di data DTSEN terbaru" in page
    assert BUTTON.findall(why) == [PROPOSAL]
    assert {k for k, text in ONLY.items() if text in why} == {"propose"}
    assert "Periksa data rumah tangga Anda" not in why
    _assert_lk1(page, gone)


def test_not_found_leads_to_a_proposal(client, registry):
    """A household the lookup cannot find has no data to correct or desil to
    object to: the proposal is its action (lookup_not_found.html)."""
    page = post_lookup(client, registry["first"][0]["nik"], "Someone Else").text
    assert "Jika rumah tangga Anda tidak ada di data, Anda dapat mengusulkannya:" in page
    assert '<a href="/submit/proposal">usulkan rumah tangga</a>' in page
    assert "/submit/correction" not in page and "/submit/objection" not in page


def test_the_recorded_house_conditions_are_shown_and_nothing_lk1_forbids(
    app, client, tmp_path, db_clean
):
    rows = _imported(app, tmp_path, household("3201011503100014", 14, desil="2", **POOR_HOUSE))
    page = _result(client, rows)
    shown = [(html.unescape(dt), html.unescape(dd)) for dt, dd in ROW.findall(_why(page))]
    assert shown == POOR_HOUSE_WORDS
    _assert_lk1(page, rows)


def test_unknown_and_empty_codes_are_shown_as_recorded(app, client, tmp_path, db_clean):
    rows = _imported(app, tmp_path, household("3201011503100015", 15))
    with app.app_context():  # older data or a code the portal's list lacks
        db.session.execute(update(Household).values(roof_material="X<9>", toilet_facility=None))
        db.session.commit()
    rows_shown = dict(ROW.findall(_why(_result(client, rows))))
    assert rows_shown["Atap"] == "X&lt;9&gt;"
    assert rows_shown["Jamban"] == "Tidak tercatat"
    assert rows_shown["Lantai"] == "Semen/bata merah"


@pytest.mark.parametrize(
    ("setting", "indonesian", "english"),
    [
        ("2027-03", "diperkirakan: Maret 2027.", "expected: March 2027."),
        ("2027-03-15", "diperkirakan: 15 Maret 2027.", "expected: March 15, 2027."),
        ("awal 2027", "diperkirakan: awal 2027.", "expected: awal 2027."),
        (None, "belum diumumkan", "has not been announced yet"),
        ("", "belum diumumkan", "has not been announced yet"),
    ],
)
def test_the_next_update_setting(
    app, client, tmp_path, db_clean, monkeypatch, setting, indonesian, english
):
    monkeypatch.setitem(app.config, "DTSEN_NEXT_UPDATE", setting)
    rows = _imported(app, tmp_path, household("3201011503100016", 16))
    why_id = _why(_result(client, rows))
    why_en = _why(client.get("/lookup/result?lang=en").text)
    assert indonesian in _text(why_id) and english in _text(why_en)
    assert "Data rumah tangga Anda dari tanggal 1 Maret 2025." in _text(why_id)  # updated_at
    assert "Your household's data is from March 1, 2025." in _text(why_en)


def test_both_languages_render_the_explanation(app, client, tmp_path, db_clean):
    rows = _imported(app, tmp_path, household("3201011503100017", 17, desil="6"))
    indonesian = _text(_why(_result(client, rows)))
    english = _text(_why(client.get("/lookup/result?lang=en").text))
    for text in (
        "Mengapa hasilnya begini? Apa yang bisa saya lakukan?",
        "Badan Pusat Statistik (BPS) memeringkat",
        "tidak diumumkan di portal ini",
        "Desil hanya berubah jika data ini berubah",
        "Genteng",
        "Perbaiki data rumah tangga",
    ):
        assert text in indonesian
    for text in (
        "Why this result? What can I do?",
        "What the ranking looks at",
        "is not published on this portal",
        "A desil changes only when this data changes",
        "Roof tiles",
        "Correct the household's data",
        "desil 6 is too high",
    ):
        assert text in english and text not in indonesian


def test_every_registry_code_has_the_field_officers_words(app):
    """Each code the importer accepts (``schema.CONDITION_VALUES``) has a
    label, and the same words the officer's visit form uses, so the two never
    name one condition differently."""
    from flask_babel import force_locale

    from portal.registry.schema import CONDITION_VALUES
    from portal.web.office import visit_labels
    from portal.web.public.desil_why import CONDITION_LABELS, VALUE_LABELS

    assert {c: tuple(VALUE_LABELS[c]) for c in CONDITION_VALUES} == CONDITION_VALUES
    with app.test_request_context(), force_locale("en"):
        for column, label in CONDITION_LABELS.items():
            assert str(visit_labels.VARIABLE_LABELS[column]) == label
        for column, labels in VALUE_LABELS.items():
            assert {k: str(v) for k, v in visit_labels.VALUE_LABELS[column].items()} == labels
