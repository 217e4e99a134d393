"""The ticket receipt PDF (issue 4; SECURITY.md WP1, WP2; PERFORMANCE.md receipt row)."""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import re
import stat
import threading
import zlib
from base64 import b64decode
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import segno
from PIL import Image
from weasyprint import HTML
from weasyprint.formatting_structure import boxes
from weasyprint.urls import URLFetcher

from portal.tickets import receipt
from portal.tickets.receipt import (
    DiskReceiptCache,
    ReceiptData,
    ResourceRefused,
    StaticOnlyFetcher,
    qr_data_url,
    receipt_cache_key,
    receipt_pdf,
    render_receipt,
    render_receipt_document,
    safe_fetcher,
)

A5_POINTS = (419.53, 595.28)  # 148 mm × 210 mm
PASSWD = Path("/etc/passwd")
PASSWD_MARK = b"root:x:0:0"


def make_receipt(**overrides) -> ReceiptData:
    fields = {
        "reference": "DT-7KQ4-M9XW",
        "kind": "objection",
        "submitted_at": datetime(2026, 1, 20, 7, 5, tzinfo=UTC),
        "office_name": "Dinas Sosial Kabupaten Bogor",
        "village_path": "Pondok Rajeg, Cibinong, Kabupaten Bogor, Jawa Barat",
        "next_steps": ["Bring your KTP and KK if the office visits."],
        "due_date_triage": date(2026, 1, 27),
        "due_date_decision": date(2026, 2, 17),
        "tracking_url": "https://portal.example.go.id/t/" + "Q" * 43,
        "version": 1,
        "lang": "id",
    }
    fields.update(overrides)
    return ReceiptData(**fields)


# --- reading a PDF without extra tools --------------------------------------------


def pdf_plain_bytes(pdf: bytes) -> bytes:
    """The file with every Flate stream inflated: object streams (where WeasyPrint
    puts page dictionaries) and embedded files become searchable."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def media_boxes(pdf: bytes) -> list[tuple[float, ...]]:
    found = re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf_plain_bytes(pdf))
    return [tuple(float(n) for n in box.split()) for box in found]


def document_text(document) -> str:
    """The laid-out text of every page (WeasyPrint subsets fonts, so the PDF's
    content streams hold glyph ids, not text)."""
    return " ".join(
        box.text
        for page in document.pages
        for box in page._page_box.descendants()
        if isinstance(box, boxes.TextBox)
    )


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def unbroken(text: str) -> str:
    """Text with all white space removed: a long word may be split across lines."""
    return re.sub(r"\s+", "", text)


# --- a server that records every request ------------------------------------------


class RecordingServer:
    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                body = b"body { color: red }"
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder():
    server = RecordingServer()
    yield server
    server.close()


def hostile_markup(base: str) -> str:
    return (
        f'<img src="{base}/x">'
        '<link rel=stylesheet href="file:///etc/passwd">'
        f'<link rel=stylesheet href="{base}/sheet.css">'
        '<link rel=attachment href="file:///etc/passwd">'
        '<a rel=attachment href="../../../../../etc/passwd">a</a>'
        f"<style>@import url({base}/import.css); body {{ background: url({base}/y) }}</style>"
        f'<div style="background-image: url({base}/z)">x</div>'
        f'<object data="{base}/object"></object>'
        '<img src="https://example.org/remote.png">'
        '<img src="../../../../etc/passwd">'
    )


# --- the receipt --------------------------------------------------------------------


def test_receipt_is_one_a5_page_with_the_reference(app_ctx):
    data = make_receipt()
    pdf = render_receipt(data)
    assert pdf.startswith(b"%PDF-")
    (box,) = media_boxes(pdf)
    assert box[:2] == (0, 0)
    assert box[2:] == pytest.approx(A5_POINTS, abs=0.05)
    document = render_receipt_document(data)
    assert len(document.pages) == 1
    text = squash(document_text(document))
    assert "DT-7KQ4-M9XW" in text
    assert "Dinas Sosial Kabupaten Bogor" in text
    assert "Pondok Rajeg, Cibinong, Kabupaten Bogor, Jawa Barat" in text
    assert "Bring your KTP and KK if the office visits." in text


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("subkind", ["ineligible_recipient", "other_household", "member_died"])
def test_the_fullest_receipt_still_fits_one_page(app_ctx, lang, subkind):
    """An objection carries three dates; with the real next steps, a long
    office name, a long village path and a real tracking link the footer
    used to spill onto a second page (issue 9, §3.8)."""
    from portal.web.public.ticket_labels import next_steps

    data = make_receipt(
        lang=lang,
        office_name="Dinas Sosial Kabupaten Kepulauan Siau Tagulandang Biaro",
        village_path="Kelurahan Pondok Rajeg, Kecamatan Cibinong, Kabupaten Bogor, Jawa Barat",
        next_steps=next_steps(subkind),
        due_date_verification=date(2026, 2, 3),
        tracking_url="https://cekdtsen.kemensos.example.go.id/t/" + "Q" * 22,
    )
    document = render_receipt_document(data)
    assert len(document.pages) == 1
    text = squash(document_text(document))
    assert ("Selasa, 3 Februari 2026" if lang == "id" else "Tuesday, 3 February 2026") in text
    footer = "Layanan ini gratis." if lang == "id" else "This service is free."
    assert footer in text


def test_the_receipt_does_not_say_the_link_needs_the_pin(app_ctx):
    text = squash(document_text(render_receipt_document(make_receipt(lang="en"))))
    assert "You will need your PIN" not in text
    assert "No PIN is needed" in text


def test_receipt_carries_no_pin_and_no_name():
    """The PIN is shown once on screen; a receipt gets shared. No name either (UU PDP)."""
    names = {f.name for f in dataclasses.fields(ReceiptData)}
    assert not {n for n in names if "pin" in n or "name" in n} - {"office_name"}


@pytest.mark.parametrize(
    ("lang", "expected", "absent"),
    [
        (
            "id",
            [
                "Tanda terima",
                "Sanggahan",
                "PIN Anda tidak ada di tanda terima ini.",
                "Tidak perlu PIN",
                "Selasa, 27 Januari 2026",
                "14.05 WIB",
            ],
            "Your PIN is not on",
        ),
        (
            "en",
            [
                "Receipt",
                "Objection",
                "Your PIN is not on this receipt.",
                "No PIN is needed",
                "Tuesday, 27 January 2026",
                "WIB",
            ],
            "PIN Anda tidak ada",
        ),
    ],
)
def test_receipt_speaks_the_tickets_language(app_ctx, lang, expected, absent):
    text = squash(document_text(render_receipt_document(make_receipt(lang=lang))))
    for phrase in expected:
        assert phrase in text
    assert absent not in text


def test_english_and_indonesian_receipts_differ(app_ctx):
    id_text = document_text(render_receipt_document(make_receipt(lang="id")))
    en_text = document_text(render_receipt_document(make_receipt(lang="en")))
    assert id_text != en_text


def test_submission_time_is_shown_in_the_offices_zone(app_ctx):
    data = make_receipt(timezone="Asia/Jayapura", submitted_at=datetime(2026, 1, 20, 7, 5))
    assert "16.05 WIT" in squash(document_text(render_receipt_document(data)))


def test_qr_code_encodes_the_tracking_link():
    url = "https://portal.example.go.id/t/" + "Q" * 43
    src = qr_data_url(url)
    assert src.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(b64decode(src.split(",", 1)[1]))).convert("1")
    expected = segno.make(url, error="m", micro=False)
    rows = list(expected.matrix_iter(scale=1, border=4))
    assert image.size == (len(rows[0]), len(rows))
    pixels = image.load()
    assert all(
        (pixels[x, y] == 0) == bool(dark)
        for y, row in enumerate(rows)
        for x, dark in enumerate(row)
    )


def test_receipt_html_puts_the_qr_code_in_the_page(app_ctx):
    data = make_receipt()
    page = receipt._receipt_html(data)
    assert f'src="{qr_data_url(data.tracking_url)}"' in page
    assert "<link" not in page, "the stylesheet is passed pre-parsed, never fetched"


def test_concurrent_renders_in_threads(app):
    """gunicorn gthread renders from several threads; the shared font map must hold."""
    results: dict[int, bytes] = {}

    def render(i: int) -> None:
        with app.app_context():
            results[i] = render_receipt(make_receipt(reference=f"DT-THRD-{i:04d}"))

    threads = [threading.Thread(target=render, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1, 2, 3]
    assert all(pdf.startswith(b"%PDF-") for pdf in results.values())


def test_a_normal_receipt_loads_every_resource(app_ctx, caplog):
    caplog.set_level(logging.WARNING, logger="weasyprint")
    render_receipt(make_receipt())
    assert not [r for r in caplog.records if r.name.startswith("weasyprint")]


@pytest.mark.parametrize(
    "bad",
    [
        {"tracking_url": "javascript:alert(1)"},
        {"tracking_url": "http://portal.example.go.id/t/x"},
        {"tracking_url": "/t/relative"},
        {"lang": "fr"},
        {"kind": "complaint"},
        {"version": 0},
        {"version": True},
        {"reference": "DT-<b>"},
        {"reference": ""},
        {"reference": "D" * 41},
        {"timezone": "Mars/Olympus"},
    ],
)
def test_receipt_data_is_checked(bad):
    with pytest.raises((ValueError, TypeError, LookupError)):
        make_receipt(**bad)


# --- WP1: the fetcher -------------------------------------------------------------


def test_hostile_fields_fetch_nothing(app_ctx, recorder):
    payload = hostile_markup(recorder.base)
    data = make_receipt(office_name=payload, village_path=payload, next_steps=[payload])
    pdf = render_receipt(data)
    assert recorder.hits == []
    assert PASSWD_MARK not in pdf_plain_bytes(pdf)
    assert recorder.base in unbroken(document_text(render_receipt_document(data)))


def test_if_markup_slipped_through_the_receipt_still_fetches_nothing(
    app_ctx, recorder, monkeypatch
):
    """Defence in depth: a template that lost autoescaping (a stray ``|safe``)
    still cannot make ``render_receipt`` fetch or embed anything."""
    page = f"<!doctype html><title>x</title><p>hello</p>{hostile_markup(recorder.base)}"
    monkeypatch.setattr(receipt, "_receipt_html", lambda data: page)
    pdf = render_receipt(make_receipt())
    assert recorder.hits == []
    assert PASSWD_MARK not in pdf_plain_bytes(pdf)


def test_hostile_html_rendered_with_the_fetcher_fetches_nothing(app, recorder):
    page = f"<!doctype html><title>x</title><p>hello</p>{hostile_markup(recorder.base)}"
    static = Path(app.static_folder)
    pdf = HTML(string=page, base_url=str(static) + "/", url_fetcher=StaticOnlyFetcher(static))
    pdf = pdf.write_pdf()
    assert recorder.hits == []
    assert PASSWD_MARK not in pdf_plain_bytes(pdf)


@pytest.mark.skipif(not PASSWD.exists(), reason="needs /etc/passwd")
def test_without_the_fetcher_the_same_page_leaks(app, recorder, monkeypatch):
    """The control: WeasyPrint's default fetcher does fetch and embed, so the two
    tests above would fail if the receipt stopped using StaticOnlyFetcher."""
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    page = f"<!doctype html><title>x</title><p>hello</p>{hostile_markup(recorder.base)}"
    pdf = HTML(string=page, base_url=str(app.static_folder) + "/", url_fetcher=URLFetcher())
    pdf = pdf.write_pdf()
    assert recorder.hits
    assert PASSWD_MARK in pdf_plain_bytes(pdf)


def test_safe_fetcher_is_what_weasyprint_expects():
    assert isinstance(safe_fetcher, URLFetcher)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "file://localhost/etc/passwd",
        "file://evil.example/etc/passwd",
        "http://127.0.0.1:{port}/x",
        "https://127.0.0.1:{port}/x",
        "https://example.org/x.png",
        "ftp://127.0.0.1:{port}/x",
        "//127.0.0.1:{port}/x",
        "x.png",
        "{static}/../pyproject.toml",
        "{static}/css/../../pyproject.toml",
        "{static}/css/%2e%2e/%2e%2e/pyproject.toml",
        "{static}/",
        "{static}/css/no-such.css",
    ],
)
def test_safe_fetcher_refuses(app_ctx, app, recorder, url):
    port = recorder.base.rsplit(":", 1)[1]
    static = Path(app.static_folder).resolve().as_uri()
    with pytest.raises(ResourceRefused):
        safe_fetcher(url.format(port=port, static=static))
    assert recorder.hits == []


def test_safe_fetcher_refuses_a_symlink_out_of_the_static_folder(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (static / "innocent.css").symlink_to(secret)
    with pytest.raises(ResourceRefused):
        StaticOnlyFetcher(static)((static / "innocent.css").as_uri())


def test_safe_fetcher_serves_static_files_and_data_urls(app_ctx, app):
    css = Path(app.static_folder) / "css" / "receipt.css"
    response = safe_fetcher(css.as_uri())
    assert response.content_type == "text/css"
    assert response.read() == css.read_bytes()
    response = safe_fetcher("data:text/plain;base64,aGk=")
    assert (response.content_type, response.read()) == ("text/plain", b"hi")


# --- WP2: no user-supplied CSS --------------------------------------------------


def test_css_in_a_field_is_printed_not_applied(app_ctx):
    payload = "<style>@page{size:1e5in}</style>"
    data = make_receipt(village_path=payload, office_name=payload)
    pdf = render_receipt(data)
    (box,) = media_boxes(pdf)
    assert box[2:] == pytest.approx(A5_POINTS, abs=0.05)
    assert payload in unbroken(document_text(render_receipt_document(data)))


def test_css_as_markup_would_change_the_page(app):
    """The control: the same payload as markup does resize the page."""
    page = HTML(string="<p><style>@page{size:1e5in}</style>x</p>").render()
    assert page.pages[0].width > 100 * A5_POINTS[0]


# --- the cache ------------------------------------------------------------------


@pytest.fixture
def count_renders(monkeypatch):
    calls: list[ReceiptData] = []
    real = receipt.render_receipt

    def counting(data):
        calls.append(data)
        return real(data)

    monkeypatch.setattr(receipt, "render_receipt", counting)
    return calls


def test_repeat_download_is_served_from_the_cache(app_ctx, tmp_path, count_renders):
    cache = DiskReceiptCache(tmp_path / "receipts")
    first = receipt_pdf(make_receipt(), cache)
    again = receipt_pdf(make_receipt(), cache)
    assert again == first
    assert len(count_renders) == 1

    newer = receipt_pdf(make_receipt(version=2), cache)
    assert len(count_renders) == 2
    assert newer.startswith(b"%PDF-")
    receipt_pdf(make_receipt(lang="en"), cache)
    assert len(count_renders) == 3
    assert receipt_pdf(make_receipt(version=2), cache) == newer
    assert len(count_renders) == 3


def test_another_process_reads_the_same_cache(app_ctx, tmp_path, count_renders):
    """A new cache object over the same folder stands for another worker process."""
    receipt_pdf(make_receipt(), DiskReceiptCache(tmp_path))
    receipt_pdf(make_receipt(), DiskReceiptCache(tmp_path))
    assert len(count_renders) == 1


def test_cache_files_are_private_and_whole(app_ctx, tmp_path):
    root = tmp_path / "receipts"
    cache = DiskReceiptCache(root)
    data = make_receipt()
    pdf = receipt_pdf(data, cache)
    (path,) = root.iterdir()
    assert path == cache.path_for(receipt_cache_key(data))
    assert re.fullmatch(r"[0-9a-f]{64}\.pdf", path.name)
    assert "DT-7KQ4" not in path.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert path.read_bytes() == pdf


def test_a_damaged_cache_file_is_rendered_again(app_ctx, tmp_path, count_renders):
    cache = DiskReceiptCache(tmp_path)
    data = make_receipt()
    cache.path_for(receipt_cache_key(data)).write_bytes(b"")
    assert receipt_pdf(data, cache).startswith(b"%PDF-")
    assert len(count_renders) == 1


def test_default_cache_is_under_the_instance_folder(app_ctx, app, count_renders):
    data = make_receipt(reference="DT-TEST-CACH")
    pdf = receipt_pdf(data)
    path = receipt.default_receipt_cache().path_for(receipt_cache_key(data))
    assert path.parent == Path(app.instance_path) / "receipts"
    assert path.read_bytes() == pdf
    path.unlink()


def test_purge_removes_old_receipts(tmp_path):
    cache = DiskReceiptCache(tmp_path)
    cache.set("old", b"%PDF-old")
    cache.set("new", b"%PDF-new")
    week_ago = (datetime.now() - timedelta(days=7)).timestamp()
    os.utime(cache.path_for("old"), (week_ago, week_ago))
    assert cache.purge(timedelta(days=1)) == 1
    assert cache.get("old") is None
    assert cache.get("new") == b"%PDF-new"
