"""Page weight of the public pages, as the app sends them (issue 15 §4).

A page's weight is its HTML plus every same-origin file it references
(stylesheets, scripts, images, icons, and ``url(…)`` inside a stylesheet),
each counted once, in the bytes the app itself sends to a browser that
accepts gzip: pages are gzipped on the fly at level 6 (``portal.compression``;
answers under 1 KiB are sent as they are and counted so; the HTML is
compressed here with the same settings, so the journey's helpers keep reading
plain text, and a test checks the figure against the app's own answer),
static files at level 9 once at start-up (``portal.assets``), fetched as
sent. ``data:`` images are inside the HTML already; other origins
(hCaptcha's script, only on the pages that ask for it) are left out, as
PERFORMANCE.md's budget says.

Used by tests/web/test_page_weight.py (the limits) and bench/page_weight.py
(the table in docs/performance.md). ``walk`` reaches every state through
the test client, as a browser with JavaScript off would.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from portal.compression import MIN_BYTES

KIB = 1024
HTML_LIMIT = 14 * KIB
TOTAL_LIMIT = 50 * KIB
ORIGIN = "http://localhost"  # the test client's
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")
#: Pages that are not for residents or not HTML: left out of "every GET page".
NOT_PUBLIC = ("/office", "/api", "/static", "/open311", "/regions", "/metrics", "/healthz")
NOT_PUBLIC += ("/readyz",)


@dataclass
class Weight:
    name: str
    path: str
    html: int
    #: same-origin file path → bytes sent
    files: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.html + sum(self.files.values())


class _References(HTMLParser):
    """The files a browser fetches to show the page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        a = dict(attrs)
        if tag == "link" and a.get("href"):
            rel = set((a.get("rel") or "").lower().split())
            if rel & {"stylesheet", "icon", "preload", "modulepreload", "manifest"}:
                self.urls.append(a["href"])
        elif tag in ("script", "img", "source", "input") and a.get("src"):
            self.urls.append(a["src"])
        if tag in ("img", "source") and a.get("srcset"):
            self.urls += [part.split()[0] for part in a["srcset"].split(",") if part.strip()]


def same_origin(url: str, base: str) -> str | None:
    """The path of ``url`` when the app serves it, else None (data:, other hosts)."""
    absolute = urljoin(ORIGIN + base, url)
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != ORIGIN:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def html_bytes(response) -> int:
    """What portal.compression sends for this page to a browser accepting gzip."""
    data = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip" or len(data) < MIN_BYTES:
        return len(data)
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def sent_bytes(response) -> int:
    return len(response.get_data())


def body_text(response) -> str:
    data = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def weigh(client, name: str, path: str, response) -> Weight:
    """The weight of a page the client has just been sent (``response``)."""
    assert response.status_code in (200, 400), f"{name}: {path} answered {response.status_code}"
    assert response.mimetype == "text/html", f"{name}: {path} is {response.mimetype}"
    weight = Weight(name, path, html_bytes(response))
    parser = _References()
    parser.feed(body_text(response))
    queue = [(url, path) for url in parser.urls]
    while queue:
        url, base = queue.pop(0)
        file = same_origin(url, base)
        if file is None or file in weight.files:
            continue
        fetched = client.get(file, headers={"Accept-Encoding": "gzip"})
        assert fetched.status_code == 200, f"{name}: {file} answered {fetched.status_code}"
        weight.files[file] = sent_bytes(fetched)
        if fetched.mimetype == "text/css":
            queue += [(u, file) for u in CSS_URL.findall(body_text(fetched))]
    return weight


def public_get_pages(app) -> list[str]:
    """Every resident-facing GET page without a path parameter."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(NOT_PUBLIC):
            paths.append(rule.rule)
    return sorted(paths)


def camera_photo() -> bytes:
    """A 1600×1200 JPEG with camera-like noise (~0.5 MB): its preview on the
    evidence page weighs what a real photo's would, not a flat colour's."""
    from PIL import Image

    img = Image.effect_noise((1600, 1200), 40).convert("RGB")
    img = Image.blend(img, Image.new("RGB", img.size, (180, 120, 80)), 0.5)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def walk(app, client, nik: str, name: str) -> Iterator[Weight]:
    """Every public page and state, in a resident's order. ``nik``/``name``:
    a household in the registry (the lookup result)."""
    from portal.db import transaction
    from portal.stats.refresh import refresh
    from tests.web import journeys
    from tests.web.conftest import post_lookup

    for path in public_get_pages(app):
        response = client.get(path)
        if response.mimetype == "text/html" and response.status_code == 200:
            yield weigh(client, f"GET {path}", path, response)
    for kind in ("proposal", "objection", "correction"):
        path = f"/submit/{kind}"
        yield weigh(client, f"{kind}: first question", path, client.get(path))

    found = post_lookup(client, nik, name)
    yield weigh(client, "lookup result (found)", "/lookup/result", found)
    missing = post_lookup(client, nik[:12] + "9999", name, ip="198.51.100.8")
    yield weigh(client, "lookup (not found)", "/lookup", missing)
    unanswered = journeys.post(client, "/lookup", {"nik": "123", "name": ""})
    yield weigh(client, "lookup with errors", "/lookup", unanswered)

    # A proposal for another household, every question page on the way (a new
    # session: after a lookup the village is known and not asked).
    client.delete_cookie("session")
    kind = "proposal"
    journeys.post(client, f"/submit/{kind}", {"subkind": "other_household"})
    subject = {"subject_name": "Siti Aminah", "subject_address": "Jl. Mawar 5, RT 001/RW 002"}
    for question, answer in (("subject", subject), ("village", None)):
        path = f"/submit/{kind}/{question}"
        yield weigh(client, f"question: {question}", path, client.get(path))
        if answer:
            journeys.post(client, path, answer)
    journeys.choose_village(client, kind)
    path = f"/submit/{kind}/reasons"
    yield weigh(client, "question: reasons", path, client.get(path))
    errors = journeys.post(client, path, {"details": ""})
    yield weigh(client, "question with errors (reasons)", path, errors)
    journeys.post(client, path, {"reason_codes": ["no_income"], "details": "Suami sakit."})
    path = f"/submit/{kind}/evidence"
    yield weigh(client, "question: evidence", path, client.get(path))
    journeys.upload(client, kind, camera_photo(), doc_type="house_front")
    yield weigh(client, "question: evidence, one photo", path, client.get(path))
    journeys.post(client, path, {"action": "continue"})
    for question, answer in (("contact", {"contact": "0812 3456 7890"}), ("consent", None)):
        path = f"/submit/{kind}/{question}"
        yield weigh(client, f"question: {question}", path, client.get(path))
        if answer:
            journeys.post(client, path, answer)
    journeys.post(client, f"/submit/{kind}/consent", {"consent": "y"})
    check = client.get(f"/submit/{kind}/check")
    yield weigh(client, "check answers", f"/submit/{kind}/check", check)
    sent, _ = journeys.send(client, kind, check)
    yield weigh(client, "confirmation", "/submit/sent", sent)

    text = body_text(sent)
    tracking = journeys.TRACKING.search(text).group(1)
    reference = journeys.REFERENCE.search(text).group(0)
    pin = journeys.PIN.search(text).group(1)
    yield weigh(client, "tracking link", "/t/…", client.get(tracking))
    opened = journeys.post(client, "/track", {"reference": reference, "pin": pin})
    status = client.get(opened.headers["Location"])
    yield weigh(client, "tracking (reference + PIN)", "/track/<reference>", status)
    path = f"/track/{reference}/withdraw"
    yield weigh(client, "withdraw", "/track/<reference>/withdraw", client.get(path))

    with app.app_context(), transaction():
        refresh(dt.datetime.now(dt.UTC))
    yield weigh(client, "stats, with figures", "/stats", client.get("/stats"))
