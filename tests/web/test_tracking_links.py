"""Tracking links come from configuration only, never from the request's Host
header: a receipt reached by a LAN address or a forged Host still loads and
still points at the configured public address."""

from __future__ import annotations

import re

import pytest

from tests.web.journeys import answer_up_to_check, send


@pytest.fixture
def uploads(app, tmp_path, monkeypatch, db_clean):
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(tmp_path / "uploads"))


FOREIGN_HOSTS = ["192.168.1.20:5000", "evil.example", "10.0.0.7"]


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_the_tracking_link_ignores_the_host_header(app, host):
    from portal.web.public.journey import url_for_tracking

    with app.test_request_context("/", base_url=f"http://{host}"):
        link = url_for_tracking("A" * 22)
    assert link == "http://localhost/t/" + "A" * 22


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_confirmation_and_receipt_reached_by_a_foreign_host(app, uploads, host):
    """Sent and fetched through a LAN address: the link still names the
    configured address (the test configuration's http://localhost), and the
    receipt, which refuses plain http links to anything but the loopback,
    loads instead of failing with a 500."""
    client = app.test_client()
    check = answer_up_to_check(
        client, "objection", "ineligible_recipient", reasons=("well_off",), files=0
    )
    page, _ = send(client, "objection", check)
    token = re.search(r"http://localhost/t/([A-Za-z0-9_-]{22})", page.text)
    assert token, "the confirmation page links to the configured address"
    receipt = client.get(f"/t/{token.group(1)}/receipt.pdf", base_url=f"http://{host}")
    assert receipt.status_code == 200
    assert receipt.data.startswith(b"%PDF")
    status = client.get(f"/t/{token.group(1)}", base_url=f"http://{host}")
    assert status.status_code == 200 and host not in status.text
