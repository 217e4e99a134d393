"""The ticket receipt: an A5 PDF the resident can print or keep on a phone.

What is on it: the ticket reference, the kind of request, when and where it was
sent, the office handling it, what happens next and by when, and a QR code of
the tracking link.

What is deliberately *not* on it:

* **the PIN.** The PIN is shown once on screen. A receipt gets printed,
  photographed, forwarded on WhatsApp and handed to a village operator; if it
  carried the PIN, anyone holding the paper could open the ticket by its
  reference (SECURITY.md AU5). The tracking link in the QR code opens the
  ticket's public status on its own, without the PIN: the receipt says so, so
  the resident keeps it like a key.
* **the subject's name** (UU PDP 27/2022, data minimisation). The reference is
  enough for the resident and for the office.

Security (SECURITY.md WP1, WP2):

* WeasyPrint fetches every URL it meets (``<img>``, ``<link>``, ``url()``,
  ``<link rel=attachment>``, which it *embeds into the PDF*). The default fetcher
  reads ``file://`` and does HTTP, so a template bug that let markup through
  would turn the renderer into an SSRF and local-file-disclosure tool.
  :class:`StaticOnlyFetcher` allows only ``data:`` URLs and files under the
  app's static folder, and never opens a socket.
* The template is a ``.html`` file rendered by Flask, so Jinja autoescapes every
  field, and no user-supplied CSS reaches WeasyPrint: the only stylesheet is
  ``static/css/receipt.css``.

Speed (PERFORMANCE.md, "receipt PDF"): one :class:`FontConfiguration` and one
parsed stylesheet are reused for every render, fonts are subset with
HarfBuzz (``libharfbuzz-subset0``), and :func:`receipt_pdf` caches the bytes
per (reference, version, language, layout) so a repeat download never renders.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname
from zoneinfo import ZoneInfo

import segno
from babel.dates import format_date, format_time
from flask import Flask, current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from PIL import ImageFile
from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

# WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES at import; our
# receipts embed only images we generate, and evidence uploads must never be
# decoded leniently (portal/tickets/evidence.py), so put it back.
ImageFile.LOAD_TRUNCATED_IMAGES = False

TEMPLATE = "pdf/receipt.html"
STYLESHEET = Path("css") / "receipt.css"
LANGS = ("id", "en")

TicketKind = Literal["proposal", "objection", "correction"]
Lang = Literal["id", "en"]

# The three ways a resident takes part (DESIGN.md): *usulan* proposes a
# household for the registry, *sanggahan* objects to an entry, *perbaikan data*
# corrects one.
KIND_LABELS = {
    "proposal": _l("Household proposal"),
    "objection": _l("Objection"),
    "correction": _l("Data correction"),
}

# Indonesia's three time zones are known by these abbreviations in both languages.
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}

# The whole tracking link sits in the QR code; one loose enough for any phone.
QR_ERROR_LEVEL = "m"
MAX_REFERENCE_LENGTH = 40


class ResourceRefused(ValueError):
    """A URL the receipt renderer must not fetch. WeasyPrint skips the resource."""


@dataclass(frozen=True, slots=True)
class ReceiptData:
    """Everything printed on a receipt, and nothing more (no PIN, no name).

    ``next_steps`` may hold ``lazy_gettext`` strings: they are rendered inside
    ``force_locale(lang)``, so they come out in the ticket's language. Plain
    strings are printed as given. ``submitted_at`` without a time zone is taken
    as UTC; it is shown in ``timezone`` (the office's zone: WIB, WITA or WIT).
    ``version`` is the ticket's version: a new version gets a new receipt.
    """

    reference: str
    kind: TicketKind
    submitted_at: datetime
    office_name: str
    village_path: str
    next_steps: Sequence[str]
    due_date_triage: date
    due_date_decision: date
    tracking_url: str
    version: int
    lang: Lang
    timezone: str = "Asia/Jakarta"
    #: Objections only: when the objection is verified (``sla.due_dates``).
    due_date_verification: date | None = None

    def __post_init__(self) -> None:
        ref = self.reference
        if not (0 < len(ref) <= MAX_REFERENCE_LENGTH and ref.isascii()):
            raise ValueError("reference must be 1-40 ASCII characters")
        if not ref.replace("-", "").isalnum():
            raise ValueError("reference may hold only letters, digits and '-'")
        if self.kind not in KIND_LABELS:
            raise ValueError(f"kind must be one of {sorted(KIND_LABELS)}")
        if self.lang not in LANGS:
            raise ValueError(f"lang must be one of {LANGS}")
        if isinstance(self.version, bool) or not isinstance(self.version, int):
            raise TypeError("version must be an int")
        if self.version < 1:
            raise ValueError("version starts at 1")
        _check_tracking_url(self.tracking_url)
        ZoneInfo(self.timezone)  # raises for an unknown zone
        object.__setattr__(self, "next_steps", tuple(self.next_steps))

    @property
    def kind_label(self) -> str:
        """The kind in the current locale (call inside ``force_locale``)."""
        return str(KIND_LABELS[self.kind])


def _check_tracking_url(url: str) -> None:
    """The QR code must lead to our HTTPS tracking page, not to ``javascript:``
    or a plain-HTTP page. Plain HTTP is tolerated for a development server on
    the loopback interface only."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1"):
        return
    raise ValueError("tracking_url must be an absolute https:// URL")


# --- fetching resources ---------------------------------------------------------


class StaticOnlyFetcher(URLFetcher):
    """WeasyPrint URL fetcher that allows only ``data:`` URLs and static files.

    WeasyPrint 69+ takes a :class:`~weasyprint.urls.URLFetcher` instance: it
    calls ``fetcher(url)`` (which calls :meth:`fetch`), reads its
    ``_fail_on_errors`` flag, and expects a :class:`URLFetcherResponse`. This
    subclass replaces :meth:`fetch` entirely, so the urllib handlers the parent
    installs (HTTP, FTP, ``file:``) are never reached: nothing here can open a
    socket. Any refusal raises :class:`ResourceRefused`; WeasyPrint logs it and
    leaves the resource out (``fail_on_errors`` stays off so one bad image does
    not cost the resident the receipt).

    ``static_root`` defaults to the current app's static folder, read at fetch
    time, so one module-level instance serves any app.
    """

    def __init__(self, static_root: Path | str | None = None) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self._static_root = Path(static_root) if static_root is not None else None

    @property
    def static_root(self) -> Path:
        root = self._static_root or Path(current_app.static_folder or "")
        return root.resolve(strict=True)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return _data_url(url)
        if scheme == "file":
            return self._static_file(url)
        raise ResourceRefused(f"receipt renderer refuses {scheme or 'relative'} URLs")

    def _static_file(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ResourceRefused("file URLs on another host are refused")
        # resolve() follows symlinks and removes "..", also percent-encoded ones
        # (url2pathname unquotes first), so the containment check sees the real file.
        try:
            path = Path(url2pathname(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError, ValueError) as exc:
            raise ResourceRefused("no such static file") from exc
        if not path.is_relative_to(self.static_root) or not path.is_file():
            raise ResourceRefused("only the app's static files may be fetched")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})


def _data_url(url: str) -> URLFetcherResponse:
    """Decode a ``data:`` URL (RFC 2397) in memory."""
    header, comma, payload = url[len("data:") :].partition(",")
    if not comma:
        raise ResourceRefused("malformed data: URL")
    params = [p.strip() for p in header.split(";")]
    is_base64 = params[-1].lower() == "base64"
    if is_base64:
        params.pop()
    content_type = ";".join(params) if params and params[0] else "text/plain;charset=US-ASCII"
    body = unquote_to_bytes(payload)
    if is_base64:
        try:
            body = base64.b64decode(body)
        except binascii.Error as exc:
            raise ResourceRefused("malformed base64 in data: URL") from exc
    return URLFetcherResponse(url, body, {"Content-Type": content_type})


#: Bound to the current app's static folder: ``safe_fetcher(url)`` returns the
#: resource or raises :class:`ResourceRefused`. Renders use an instance bound to
#: the already-resolved static folder, which behaves the same.
safe_fetcher = StaticOnlyFetcher()


# --- rendering ------------------------------------------------------------------


@lru_cache(maxsize=1)
def font_config() -> FontConfiguration:
    """The one font configuration of the process, made on first use (after any fork).

    Reusing it across renders is one of PERFORMANCE.md's levers. The receipt uses
    only installed system fonts (no ``@font-face``), so nothing accumulates in it.
    """
    return FontConfiguration()


# Pango's font map and the shared FontConfiguration are not safe to use from
# several threads at once (gunicorn gthread), so renders in one process take
# turns. A render takes tens of milliseconds and repeat downloads are cached.
_RENDER_LOCK = threading.Lock()


def render_lock() -> threading.Lock:
    """The lock every WeasyPrint layout and PDF write of this process takes
    (the receipt's, and other PDFs that share its font configuration, such
    as the village meeting list): ``with receipt.render_lock(): ...``."""
    return _RENDER_LOCK


@lru_cache(maxsize=4)
def _stylesheet(static_root: Path) -> CSS:
    """``receipt.css``, parsed once per static folder and reused for every render."""
    return CSS(
        filename=str(static_root / STYLESHEET),
        font_config=font_config(),
        url_fetcher=StaticOnlyFetcher(static_root),
    )


def qr_data_url(url: str) -> str:
    """The tracking link as a QR code in a PNG ``data:`` URL (nothing written to disk).

    One pixel per module, with the four-module quiet zone the standard asks for;
    the stylesheet scales it up with ``image-rendering: pixelated``, which keeps
    the edges sharp in the PDF at any zoom.
    """
    return segno.make(url, error=QR_ERROR_LEVEL, micro=False).png_data_uri(scale=1, border=4)


def _local_time(moment: datetime, zone: str) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone))


def _receipt_html(data: ReceiptData) -> str:
    """The receipt as HTML in the ticket's language (autoescaped Jinja template)."""
    submitted = _local_time(data.submitted_at, data.timezone)
    zone = ZONE_ABBREVIATIONS.get(data.timezone, submitted.strftime("UTC%z"))
    with force_locale(data.lang):
        return render_template(
            TEMPLATE,
            receipt=data,
            lang=data.lang,
            kind_label=data.kind_label,
            submitted_date=format_date(submitted, "d MMMM y", locale=data.lang),
            submitted_time=format_time(submitted, "short", locale=data.lang),
            submitted_zone=zone,
            triage_by=format_date(data.due_date_triage, "EEEE, d MMMM y", locale=data.lang),
            decision_by=format_date(data.due_date_decision, "EEEE, d MMMM y", locale=data.lang),
            verification_by=(
                format_date(data.due_date_verification, "EEEE, d MMMM y", locale=data.lang)
                if data.due_date_verification
                else None
            ),
            next_steps=[str(step) for step in data.next_steps],
            qr_src=qr_data_url(data.tracking_url),
        )


def render_receipt_document(data: ReceiptData) -> Document:
    """Lay the receipt out without writing the PDF (tests and previews read its pages).

    ``base_url`` is the static folder, so a relative URL can only point at a
    static file, and every fetch goes through :data:`safe_fetcher`.
    """
    static_root = Path(current_app.static_folder or "").resolve(strict=True)
    html = HTML(
        string=_receipt_html(data),
        base_url=str(static_root) + os.sep,
        url_fetcher=StaticOnlyFetcher(static_root),
    )
    with _RENDER_LOCK:
        return html.render(font_config=font_config(), stylesheets=[_stylesheet(static_root)])


def render_receipt(data: ReceiptData) -> bytes:
    """Render the receipt to PDF bytes (A5, one page). Prefer :func:`receipt_pdf`.

    The PDF is tagged (headings, lists, the QR code's alt text) so a screen
    reader on a phone can read it; that costs a few milliseconds.
    """
    document = render_receipt_document(data)
    with _RENDER_LOCK:
        return document.write_pdf(pdf_tags=True)


# --- caching --------------------------------------------------------------------


class ReceiptCache(Protocol):
    """Where rendered receipts are kept: anything with ``get`` and ``set``."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, pdf: bytes) -> None: ...


class DiskReceiptCache:
    """Receipts as files under one folder, shared by every process on the host.

    The file name is the SHA-256 of the key. Files are written to a temporary
    name, fsynced and renamed, so a reader in another process sees a whole PDF
    or none. A receipt has no PIN, but it is still personal data (a reference
    tied to a village and a kind of request), so files are 0600 in a 0700
    folder, and :meth:`purge` lets the retention job (SECURITY.md PD2) drop
    old ones.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        return self.root / f"{hashlib.sha256(key.encode()).hexdigest()}.pdf"

    def get(self, key: str) -> bytes | None:
        try:
            pdf = self.path_for(key).read_bytes()
        except FileNotFoundError:
            return None
        return pdf if pdf.startswith(b"%PDF-") else None

    def set(self, key: str, pdf: bytes) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-", suffix=".part")  # 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(pdf)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path_for(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def purge(self, older_than: timedelta) -> int:
        """Delete receipts (and stray temporary files) older than ``older_than``."""
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        for path in self.root.glob("*"):
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # another process removed it first
        return removed


def default_receipt_cache(app: Flask | None = None) -> DiskReceiptCache:
    """The disk cache under ``<instance>/receipts/``."""
    app = app or current_app
    return DiskReceiptCache(Path(app.instance_path) / "receipts")


@lru_cache(maxsize=8)
def _layout_digest(paths: tuple[Path, ...]) -> str:
    """A digest of the template, stylesheet and compiled catalogs, once per process.

    It is part of the cache key, so a deploy that changes the layout or a
    translation never serves receipts rendered by the old one.
    """
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()[:16]


def receipt_cache_key(data: ReceiptData) -> str:
    app = current_app
    translations = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")[0])
    paths = (
        Path(app.template_folder or "") / TEMPLATE,
        Path(app.static_folder or "") / STYLESHEET,
        *(translations / lang / "LC_MESSAGES" / "messages.mo" for lang in LANGS),
    )
    return f"receipt|{data.reference}|{data.version}|{data.lang}|{_layout_digest(paths)}"


def receipt_pdf(data: ReceiptData, cache: ReceiptCache | None = None) -> bytes:
    """The receipt PDF, rendered once per (reference, version, language, layout).

    ``cache`` defaults to :func:`default_receipt_cache`. Needs an app context.
    """
    cache = cache if cache is not None else default_receipt_cache()
    key = receipt_cache_key(data)
    pdf = cache.get(key)
    if pdf is None:
        pdf = render_receipt(data)
        cache.set(key, pdf)
    return pdf
