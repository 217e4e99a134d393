"""Helpers for the submission and tracking tests: post a question page the
way a browser with JavaScript off would, and walk whole journeys."""

from __future__ import annotations

import io
import re

from PIL import Image

from tests.factories import VILLAGE
from tests.web.conftest import csrf_token

IDEMPOTENCY = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')
PIN = re.compile(r'<p class="pin">(\d{6})</p>')
REFERENCE = re.compile(r"DT-[0-9A-Z]{4}-[0-9A-Z]{4}")
TRACKING = re.compile(r'href="(?:http://localhost)?(/t/[A-Za-z0-9_-]{22})"')
SIXTEEN = re.compile(r"(?<!\d)\d{16}(?!\d)")


def jpeg(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(out, "JPEG")
    return out.getvalue()


def post(client, path: str, data: dict | None = None, **kw):
    """POST with the session's CSRF token; records every URL it touched on the client."""
    data = {"csrf_token": csrf_token(client, "/track"), **(data or {})}
    response = client.post(path, data=data, **kw)
    _record(client, path, response)
    return response


def get(client, path: str, **kw):
    response = client.get(path, **kw)
    _record(client, path, response)
    return response


def _record(client, path, response) -> None:
    seen = client.__dict__.setdefault("seen_urls", [])
    seen.append(path)
    if response.headers.get("Location"):
        seen.append(response.headers["Location"])


def upload(client, kind: str, data: bytes, name: str = "photo.jpg", doc_type: str = "kk", **extra):
    return post(
        client,
        f"/submit/{kind}/evidence",
        {"action": "upload", "doc_type": doc_type, "file": (io.BytesIO(data), name), **extra},
        content_type="multipart/form-data",
    )


def choose_village(client, kind: str, village: str = VILLAGE):
    levels = [village[:2], village[:5], village[:8], village]
    names = ("province", "regency", "district", "village")
    for depth in range(1, 5):
        response = post(client, f"/submit/{kind}/village", dict(zip(names, levels[:depth])))
        assert response.status_code == 302, response.text
    return response


def answer_up_to_check(
    client,
    kind: str,
    subkind: str,
    *,
    subject=True,
    village=True,
    reasons=("no_income",),
    details="Suami sakit sejak Januari.",
    files=1,
    contact="0812 3456 7890",
):
    """Answer every question of a journey; returns the check page."""
    assert post(client, f"/submit/{kind}", {"subkind": subkind}).status_code == 302
    if subject:
        r = post(
            client,
            f"/submit/{kind}/subject",
            {"subject_name": "Siti Aminah", "subject_address": "Jl. Mawar 5, RT 001/RW 002"},
        )
        assert r.status_code == 302, r.text
    if village:
        choose_village(client, kind)
    r = post(client, f"/submit/{kind}/reasons", {"reason_codes": list(reasons), "details": details})
    assert r.status_code == 302, r.text
    for _ in range(files):
        r = upload(client, kind, jpeg(), doc_type="house_front")
        assert r.status_code == 302, r.text
    assert post(client, f"/submit/{kind}/evidence", {"action": "continue"}).status_code == 302
    assert post(client, f"/submit/{kind}/contact", {"contact": contact}).status_code == 302
    r = post(client, f"/submit/{kind}/consent", {"consent": "y"})
    assert r.headers["Location"] == f"/submit/{kind}/check"
    page = get(client, f"/submit/{kind}/check")
    assert page.status_code == 200, page.text
    return page


def send(client, kind: str, check_page):
    """Send the checked answers; a successful send redirects to the
    confirmation, which is returned (else the POST's own answer)."""
    key = IDEMPOTENCY.search(check_page.text).group(1)
    return follow_sent(client, post(client, f"/submit/{kind}/check", {"idempotency_key": key})), key


def follow_sent(client, response):
    if response.status_code == 303:
        assert response.headers["Location"] == "/submit/sent"
        return get(client, "/submit/sent")
    return response
