"""Compressed responses and content-hashed static files (issue 9 §3.11)."""

from __future__ import annotations

import gzip
import hashlib
import re

import brotli
import pytest

from portal import assets, compression
from portal.config import ROOT

STATIC = ROOT / "static"
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)">')
SCRIPT = re.compile(r'<script src="([^"]+)"')


def expected_css_url() -> str:
    """Worked out from the file itself: its SHA-256, first 12 hex digits."""
    digest = hashlib.sha256((STATIC / "css" / "portal.css").read_bytes()).hexdigest()
    return f"/static/css/portal.{digest[:12]}.css"


def test_pages_are_gzipped_when_only_gzip_is_accepted(client):
    plain = client.get("/", headers={"Accept-Encoding": "identity"})
    packed = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 2
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    for response in (plain, packed):
        assert "Accept-Encoding" in response.headers["Vary"]
        assert "Cookie" in response.headers["Vary"]  # kept, not replaced
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_brotli_is_preferred_and_a_refused_encoding_is_not_used(client):
    plain = client.get("/")
    both = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert both.headers["Content-Encoding"] == "br"
    assert brotli.decompress(both.data) == plain.data
    refused = client.get("/", headers={"Accept-Encoding": "br;q=0, gzip"})
    assert refused.headers["Content-Encoding"] == "gzip"
    none = client.get("/", headers={"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert "Content-Encoding" not in none.headers


def test_tiny_responses_are_not_compressed(client):
    health = client.get("/healthz", headers={"Accept-Encoding": "gzip, br"})
    assert len(health.data) < 1024
    assert "Content-Encoding" not in health.headers
    assert "Accept-Encoding" not in health.headers.get("Vary", "")


def test_the_stylesheet_has_a_content_hashed_name_and_a_year_long_immutable_cache(client):
    page = client.get("/").text
    assert STYLESHEET.search(page).group(1) == expected_css_url()
    css = client.get(expected_css_url(), headers={"Accept-Encoding": "br"})
    assert css.status_code == 200
    assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert css.headers["Content-Type"].startswith("text/css")
    assert brotli.decompress(css.data) == (STATIC / "css" / "portal.css").read_bytes()
    assert "Accept-Encoding" in css.headers["Vary"]


def test_the_plain_name_still_works_with_a_short_cache(client):
    css = client.get("/static/css/portal.css")
    assert css.status_code == 200
    assert css.data == (STATIC / "css" / "portal.css").read_bytes()
    assert css.headers["Cache-Control"] == "public, max-age=300"
    assert "Content-Encoding" not in css.headers


def test_a_wrong_hash_or_a_path_outside_static_is_not_found(client):
    assert client.get("/static/css/portal.000000000000.css").status_code == 404
    assert client.get("/static/../portal/config.py").status_code == 404


def test_a_cached_stylesheet_is_not_sent_again(client):
    first = client.get(expected_css_url(), headers={"Accept-Encoding": "gzip"})
    again = client.get(
        expected_css_url(),
        headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304 and again.data == b""


def test_static_files_are_compressed_once_at_start_up_not_per_request(app, client, monkeypatch):
    calls = {"br": 0, "gzip": 0}
    real_br, real_gzip = brotli.compress, assets.gzip.compress

    def count(name, real):
        def counted(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return counted

    monkeypatch.setattr(assets.brotli, "compress", count("br", real_br))
    monkeypatch.setattr(assets.gzip, "compress", count("gzip", real_gzip))
    for encoding in ("br", "gzip", "br", "gzip"):
        css = client.get(expected_css_url(), headers={"Accept-Encoding": encoding})
        assert css.headers["Content-Encoding"] == encoding
    assert calls == {"br": 0, "gzip": 0}


def test_the_village_search_script_is_hashed_too(client):
    digest = hashlib.sha256((STATIC / "js" / "village-search.js").read_bytes()).hexdigest()
    url = f"/static/js/village-search.{digest[:12]}.js"
    with client.application.test_request_context():
        from flask import url_for

        assert url_for("static", filename="js/village-search.js") == url
    assert client.get(url).headers["Cache-Control"].endswith("immutable")


@pytest.mark.parametrize("mimetype", ["application/pdf", "image/jpeg", "application/zip"])
def test_binary_responses_are_left_alone(app, mimetype):
    from flask import Response

    with app.test_request_context(headers={"Accept-Encoding": "gzip, br"}):
        response = compression.compress(Response(b"x" * 5000, mimetype=mimetype))
    assert "Content-Encoding" not in response.headers and response.data == b"x" * 5000
