"""Page weight of every public page (issue 15 §4, PERFORMANCE.md): the HTML
at most 14 KiB and the HTML with its stylesheet, scripts and images at most
50 KiB, gzip as the app sends it (tests/web/page_weight.py says how it is
counted). Sizes, not timing: they do not move with the machine's load.
bench/page_weight.py prints the same figures as a table."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tests.web.page_weight import HTML_LIMIT, TOTAL_LIMIT, walk, weigh

STATIC = Path(__file__).resolve().parents[2] / "static"


@pytest.fixture
def pages(app, client, registry, monkeypatch):
    # The photo check on, as in production: the evidence page then loads its script.
    monkeypatch.setitem(app.config, "EVIDENCE_QUALITY_CHECK", True)
    head = registry["first"][0]
    return list(walk(app, client, head["nik"], head["full_name"]))


def test_every_public_page_is_within_the_budget(pages):
    over = [
        f"{p.name} ({p.path}): HTML {p.html} B, with its files {p.total} B"
        for p in pages
        if p.html > HTML_LIMIT or p.total > TOTAL_LIMIT
    ]
    assert over == [], f"over {HTML_LIMIT} B HTML or {TOTAL_LIMIT} B in all:\n" + "\n".join(over)


def test_the_walk_reaches_every_state(pages):
    names = {p.name for p in pages}
    for expected in (
        "GET /",
        "GET /lookup",
        "GET /track",
        "GET /stats",
        "GET /submit",
        "GET /help/late",
        "lookup result (found)",
        "lookup (not found)",
        "question: village",
        "question with errors (reasons)",
        "confirmation",
        "tracking link",
        "tracking (reference + PIN)",
    ):
        assert expected in names
    errors = next(p for p in pages if p.name == "question with errors (reasons)")
    assert errors.html > 0
    # Every page has the stylesheet; the village question has the search script too.
    assert all(any(f.endswith(".css") for f in p.files) for p in pages)
    village = next(p for p in pages if p.name == "question: village")
    assert any("village-search" in f for f in village.files)
    evidence = next(p for p in pages if p.name == "question: evidence")
    assert any("photo-check" in f for f in evidence.files)  # counted, check on


def test_the_weight_counts_the_stylesheet_as_gzip_at_level_9(app, client):
    """Against an independent figure: the stylesheet on disk gzipped here."""
    home = weigh(client, "home", "/", client.get("/"))
    (css,) = [size for path, size in home.files.items() if path.endswith(".css")]
    on_disk = (STATIC / "css" / "portal.css").read_bytes()
    assert css == len(gzip.compress(on_disk, compresslevel=9, mtime=0))
    assert home.total == home.html + css


def test_the_html_is_counted_as_the_app_sends_it_gzipped(app, client):
    """The HTML's figure is what the app sends a browser that accepts gzip."""
    plain = client.get("/")
    sent = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert sent.headers["Content-Encoding"] == "gzip"
    home = weigh(client, "home", "/", plain)
    assert home.html == len(sent.get_data())
    assert home.html < len(plain.get_data()) / 2
