"""The status page states the appeal once, in the decision's section, with
its link (it used to say it twice: the decision's sentence, then the appeal's
own heading and sentence)."""

from __future__ import annotations

from tests.web.test_track_status import decide, decision_part, open_link, page_clock
from tests.web.track_reply_helpers import wib


def test_the_appeal_is_offered_once_with_its_link(app, client, keyring, monkeypatch):
    token = decide(app, keyring, "rejected")  # the window ends on 17 April 2026
    page_clock(monkeypatch, wib(2026, 4, 6))
    page = open_link(client, token).text
    part = decision_part(page)
    assert page.count("banding sampai") == 1
    assert "mengajukan banding sampai 17 April 2026" in part
    assert "/appeal" in part  # the link, in the same section
    english = client.get(f"/t/{token}?lang=en").text
    assert english.count("appeal until") == 1
    assert english.count("/appeal") == 1


def test_after_the_window_neither_the_date_nor_the_link(app, client, keyring, monkeypatch):
    token = decide(app, keyring, "rejected")
    page_clock(monkeypatch, wib(2026, 4, 18))
    page = open_link(client, token).text
    assert "banding sampai" not in page
    assert "/appeal" not in page
