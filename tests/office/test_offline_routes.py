"""The server's side of the offline drafts (portal/web/office/offline.py,
docs/offline.md): the session's key on the offline pages only, the same for
the whole login and another after a new login, gone at logout; the question
shells hold no answer, no key and no CSRF token; the service worker lists
the hashed static files."""

from __future__ import annotations

import re

from tests.office.assist_fixtures import (
    clean_limits,  # noqa: F401 - autouse fixture
    clock_fixture,  # noqa: F401 - fixture
    desk_fixture,  # noqa: F401 - fixture
    logged_in,
)

KEY = re.compile(r'data-key="([A-Za-z0-9+/=]{44})" data-kid="([0-9a-f]{16})"')
SHELL = "/office/assist/shell/proposal/other_household/contact"


def key_on(client, path: str) -> tuple[str, str] | None:
    found = KEY.search(client.get(path).text)
    return found.groups() if found else None


def test_the_key_is_the_login_sessions_and_only_on_the_offline_pages(app, desk):
    first = key_on(desk.client, "/office/assist/proposal")
    assert first is not None
    assert key_on(desk.client, "/office/assist/proposal") == first  # the same all session
    assert key_on(desk.client, "/office/assist") is None  # the lookup: not kept offline
    assert key_on(desk.client, "/office/") is None

    desk.clock.advance(seconds=31)  # a new authenticator code for the second login
    again = logged_in(app, desk.clock, desk.operator)  # another login: another key
    second = key_on(again.client, "/office/assist/proposal")
    assert second is not None and second[0] != first[0] and second[1] != first[1]

    out = desk.post("/office/logout")
    # The browser drops its copy of the key, the drafts sealed with it and the worker.
    assert out.headers["Clear-Site-Data"] == '"storage"'
    response = desk.client.get("/office/assist/proposal")
    assert response.status_code == 302  # to the login page: no key for anyone
    assert key_on(desk.client, "/office/assist/proposal") is None


def test_a_shell_holds_no_answer_no_key_and_no_token(desk):
    desk.post("/office/assist", {"kind": "proposal"})
    desk.post("/office/assist/proposal", {"subkind": "other_household"})
    desk.post(
        "/office/assist/proposal/subject",
        {"subject_name": "Siti Aminah", "subject_address": "Jl. Mawar 5, RT 001/RW 002"},
    )
    desk.post("/office/assist/proposal/reasons", {"reason_codes": ["no_income"]})
    desk.post("/office/assist/proposal/evidence", {"action": "continue"})
    assert (
        desk.post("/office/assist/proposal/contact", {"contact": "0813 1111 2222"}).status_code
        == 302
    )

    live = desk.client.get("/office/assist/proposal/contact").text
    assert "081311112222" in live and KEY.search(live)  # the live page: the answer, the key
    shell = desk.client.get(SHELL)
    assert shell.status_code == 200
    assert shell.headers["Cache-Control"] == "no-store"
    text = shell.text
    for personal in ("081311112222", "Siti Aminah", "Mawar", "data-key", "data-kid"):
        assert personal not in text
    assert re.search(r'name="csrf_token"[^>]*value=""', text)
    assert 'name="contact"' in text and 'data-shell="1"' in text
    # The shell leads to the next question's page (consent), as the live page does.
    assert 'data-next="/office/assist/proposal/consent"' in text
    assert 'data-next="/office/assist/proposal/consent"' in live

    assert (
        desk.client.get("/office/assist/shell/proposal/other_household/subject").status_code == 404
    )
    assert desk.client.get("/office/assist/shell/proposal/no_such/contact").status_code == 404


def test_the_worker_lists_the_hashed_static_files(desk):
    response = desk.client.get("/office/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.text
    assert re.search(r'"/static/css/portal\.[0-9a-f]{12}\.css"', body)
    assert re.search(r'"/static/js/offline\.[0-9a-f]{12}\.js"', body)
    assert "__PRECACHED__" not in body and "__VERSION__" not in body
