"""Every page of the journeys: the page shell (one h1, no script, unique ids),
English as well as Indonesian, and the per-address limits on the POSTs."""

from __future__ import annotations

import pytest

from tests.test_templates import _check_shell
from tests.web.journeys import answer_up_to_check, get, post, send


@pytest.fixture
def uploads(app, tmp_path, monkeypatch, db_clean):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))


def test_every_page_of_a_journey_has_the_shell(client, uploads):
    pages = {"/submit": get(client, "/submit"), "/track": get(client, "/track")}
    check = answer_up_to_check(client, "objection", "ineligible_recipient", reasons=("well_off",))
    for name in ("subject", "village", "reasons", "evidence", "contact", "consent"):
        pages[name] = get(client, f"/submit/objection/{name}")
    pages["entry"] = get(client, "/submit/objection")
    pages["check"] = check
    confirmation, _ = send(client, "objection", check)
    pages["confirmation"] = confirmation
    for name, page in pages.items():
        assert page.status_code == 200, name
        _check_shell(page.text, "id")


def test_the_journey_speaks_english(client, uploads):
    page = client.get("/submit/proposal?lang=en")
    assert "What do you want to ask for?" in page.text
    assert "Another household in my village" in page.text
    error = post(client, "/submit/proposal", {})
    assert "Select what you want to ask for" in error.text


@pytest.mark.parametrize(
    ("config_key", "path", "data"),
    [
        # The question pages' anti-flood ceiling (far above any office's day).
        ("SUBMIT_PAGE_LIMIT_PER_IP", "/submit/proposal", {"subkind": "own_household"}),
        ("TRACK_LIMIT_PER_IP", "/track", {"reference": "DT-2222-3333", "pin": "123456"}),
    ],
)
def test_posts_are_limited_per_address(app, client, uploads, monkeypatch, config_key, path, data):
    monkeypatch.setitem(app.config, config_key, "2 per hour")
    statuses = [post(client, path, data).status_code for _ in range(3)]
    assert statuses[-1] == 429 and 429 not in statuses[:2]
