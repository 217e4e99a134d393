"""The searchable village list: ``/regions/villages`` and the picker taking a
whole path in one POST, as the script sends it."""

from __future__ import annotations

import re

import pytest

from tests.web.journeys import post


def test_search_finds_villages_by_every_word(client):
    found = client.get("/regions/villages?q=cibinong bogor").get_json()["results"]
    assert found and len(found) <= 15
    assert found[0] == {
        "code": "32.01.01.1006",
        "label": "Cibinong, Cibinong, Kabupaten Bogor, Jawa Barat",
    }
    assert all("bogor" in r["label"].lower() and "cibinong" in r["label"].lower() for r in found)


def test_short_or_unknown_queries_find_nothing(client):
    nothing = {"results": [], "more": False}
    assert client.get("/regions/villages?q=ci").get_json() == nothing
    assert client.get("/regions/villages?q=zzzqqq").get_json() == nothing
    assert client.get("/regions/villages").get_json() == nothing


def test_a_common_name_says_there_are_more(client):
    found = client.get("/regions/villages?q=sukamaju").get_json()
    assert len(found["results"]) == 15 and found["more"] is True
    # villages named Sukamaju come before places that merely contain it
    assert found["results"][0]["label"].lower().startswith("sukamaju")


def test_search_is_rate_limited(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "REGION_SEARCH_LIMIT_PER_IP", "2 per minute")
    for _ in range(2):
        assert client.get("/regions/villages?q=bogor").status_code == 200
    refused = client.get("/regions/villages?q=bogor")
    assert refused.status_code == 429 and refused.headers["Retry-After"]


def test_picker_takes_the_whole_path_at_once(client, db_clean):
    assert post(client, "/submit/proposal", {"subkind": "other_household"}).status_code == 302
    post(
        client,
        "/submit/proposal/subject",
        {"subject_name": "Siti Aminah", "subject_address": "Jl. Mawar 5"},
    )
    done = post(
        client,
        "/submit/proposal/village",
        {"province": "32", "regency": "32.01", "district": "32.01.01", "village": "32.01.01.1006"},
    )
    assert done.status_code == 302
    assert done.headers["Location"] == "/submit/proposal/reasons"


def test_the_picker_page_loads_the_script_and_its_texts(client, db_clean):
    post(client, "/submit/proposal", {"subkind": "other_household"})
    post(
        client,
        "/submit/proposal/subject",
        {"subject_name": "Siti Aminah", "subject_address": "Jl. Mawar 5"},
    )
    page = client.get("/submit/proposal/village")
    # Content-hashed name (portal/assets.py).
    script = (
        r'<script src="/static/js/village-search\.[0-9a-f]{12}\.js" defer blocking="render">'
        r"</script>"
    )
    assert re.search(script, page.text)
    assert 'data-label="Cari desa/kelurahan berdasarkan nama"' in page.text


def _index(app):
    from portal.regions.search import village_index

    with app.app_context():
        return village_index()


@pytest.mark.parametrize(
    "query",
    [
        " ".join(["a"] * 50),  # one-letter words: nothing to search for
        " ".join(["ba"] * 50),  # one word, repeated
        " ".join(f"{a}{b}" for a in "aiu" for b in "bcdgjkmnst"),  # 30 different words
        "ka ab bu up pa at te en ko ot ta",  # each in most places (Kabupaten, Kota)
        "sukamaju " + " ".join(["jawa barat"] * 20),
    ],
)
def test_the_work_of_one_query_is_bounded_whatever_is_typed(app, client, query):
    """At most four word tests per village, however many words arrive (it
    was one full scan per word: ``a a a …`` cost 618 ms a request)."""
    index = _index(app)
    villages = len(index._entries)
    assert villages > 80_000
    before = index.word_tests
    assert client.get("/regions/villages", query_string={"q": query}).status_code == 200
    assert index.word_tests - before <= 4 * villages


def test_one_letter_and_repeated_words_are_ignored(client):
    plain = client.get("/regions/villages?q=cibinong bogor").get_json()
    padded = client.get("/regions/villages?q=a cibinong b bogor cibinong x").get_json()
    assert padded == plain
    nothing = {"results": [], "more": False}
    assert client.get("/regions/villages", query_string={"q": "a " * 40}).get_json() == nothing


def test_only_the_first_four_words_narrow_the_search(client):
    four = client.get("/regions/villages?q=cibinong cibinong bogor jawa barat").get_json()
    more = client.get("/regions/villages?q=cibinong bogor jawa barat zzzqqq").get_json()
    assert four["results"] and more == four
