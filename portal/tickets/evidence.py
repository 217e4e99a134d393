"""Evidence files: check, clean and store what residents upload (DESIGN.md §6,
SECURITY.md UP2–UP6 and RE2).

Residents photograph their KTP, KK, house or a village letter on cheap phones
and upload it; staff open it later. Every file is hostile until proven
otherwise, so this module:

* identifies the type by its first bytes (``sniff``), never by the name or the
  browser's Content-Type, and requires the name's extension to agree;
* re-encodes images with Pillow from the decoded pixels only, so nothing the
  phone wrote beside the pixels survives: EXIF (with the GPS position of the
  resident's home), XMP, ICC profiles, text chunks, trailing data. The GPS
  position is read out separately, and only when the resident agreed;
* refuses decompression bombs from the header, before a single pixel is
  decoded;
* refuses PDFs that can run code or carry files (see "PDF inspection" below);
* stores under a random name through ``portal.storage`` (a directory outside
  the web root, mode 0600, fsynced and linked into place; or an S3 bucket,
  encrypted and private), durable *before* the database commit, so a
  committed evidence row always points at a complete file. A crash between
  the write and the commit leaves an orphan file, which ``sweep_orphans``
  removes later;
* makes the office's small WebP preview of an image when it becomes a
  ticket's evidence (``store_thumbnail``), stored the same way beside it.

This is a library: no views, no database. The web layer maps
``EvidenceError.code`` to a translated message; ``flask evidence sweep``
feeds ``sweep_orphans`` the names the database knows.

Output formats: each image keeps its type (JPEG stays JPEG, PNG stays PNG,
WebP stays WebP), so a screenshot of a document stays lossless and the stored
extension follows from the sniffed type alone. Images are scaled down to
``IMAGE_MAX_SIDE`` on their longest side (a 12 MP phone photo becomes a few
hundred kB that staff can open on a slow office connection). Colour profiles
are dropped, not converted: wide-gamut photos may look slightly duller, which
does not matter for evidence and keeps LittleCMS from parsing hostile
profiles. Animated images keep their first frame.

Configuration (``app.config`` or a mapping passed as ``settings``):

=========================  ====================================================
``UPLOAD_ROOT``            directory of the store; default ``<instance>/evidence``
``EVIDENCE_STORAGE_URL``   ``s3://bucket/prefix?endpoint=…``: a bucket instead
``MAX_FILE_BYTES``         largest accepted upload (and stored file), 8 MiB
``MAX_FILES_PER_TICKET``   5
``MAX_IMAGE_PIXELS``       width × height refused above this, 40 000 000
``IMAGE_MAX_SIDE``         longest side of a stored image, 2560 px
``IMAGE_QUALITY``          JPEG and WebP quality, 85
``PDF_MAX_DECODED_BYTES``  inflate budget for PDF object streams, 32 MiB
``MAX_DECODED_PIXELS``     pixels decoded at full size (UP8), 16 000 000
``IMAGE_WORK_SLOTS``       images decoded at once per process (UP8), 2
``UPLOAD_MAX_BYTES_PER_DRAFT``  bytes one draft's files may hold (UP9), 24 MiB
``EVIDENCE_QUALITY_CHECK`` the photo quality check on (default; off in tests)
``EVIDENCE_QUALITY``       the photo quality check's thresholds, a dict of
                           ``quality.Thresholds`` fields (dark_mean,
                           dark_high, bright_mean, bright_low, blur_ratio,
                           blur_ratio_scene, sideways_ratio, min_ink,
                           small_side, work_side)
=========================  ====================================================

Quality (issue 15 §1): every stored photo is checked by
``portal.tickets.quality`` (too dark, too bright, blurred; documents also
sideways or too small). The check never refuses a file: its codes travel
with the file (``ProcessedFile.quality``, ``StoredFile.quality``) so the
page can ask the resident to retake it or keep it anyway.

Image cleaning lives in ``portal.tickets.image_clean`` and PDF inspection in
``portal.tickets.pdf_scan``: PDFs are stored as uploaded, so they are refused
when they can run code or carry files.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from flask import current_app

from portal.storage import EvidenceStorage, StoredObjectMissing, storage
from portal.storage.local import LocalStorage
from portal.tickets.image_clean import (
    ImageLimits,
    ImageRefused,
    clean_image,
    thumbnail_webp,
    work_slot,
)
from portal.tickets.pdf_scan import PdfRefused, inspect_pdf
from portal.tickets.quality import Thresholds, check_bytes, is_document

log = logging.getLogger(__name__)

MiB = 1024 * 1024

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
PDF = "application/pdf"

#: Accepted extensions per media type; the first is the one we store under.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
    WEBP: (".webp",),
    PDF: (".pdf",),
}
_PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
#: The office's thumbnail of an image (``StoredFile.thumb_name``): WebP, this
#: many px on its longest side, at this quality.
THUMB_SIDE = 320
THUMB_QUALITY = 60

#: Machine codes of ``EvidenceError``; the web layer translates them.
ERROR_CODES = frozenset(
    {
        "empty",
        "too_large",
        "too_many",
        "unsupported_type",
        "extension_mismatch",
        "corrupt",
        "too_many_pixels",
        "pdf_active_content",
        "pdf_encrypted",
        "pdf_uninspectable",
        # Storage and upload budgets (UP9, issue 9 §2).
        "draft_full",
        "address_full",
        "too_many_uploads",
    }
)

DOC_TYPE = re.compile(r"[a-z][a-z0-9_]{0,23}")
#: ``secrets.token_urlsafe(24)`` is 32 characters; never starting with ``-``
#: keeps the names safe to pass to shell tools during an incident.
STORED_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{31}\.(?:jpg|png|webp|pdf)")
DEFAULT_SWEEP_GRACE = timedelta(hours=1)


class EvidenceError(Exception):
    """An upload refused for a reason the resident can act on.

    ``code`` is one of ``ERROR_CODES``; ``params`` are limits for the message
    or which of our own rules applied, never anything taken from the file or
    its name.
    """

    def __init__(self, code: str, **params: Any) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown evidence error code {code!r}")
        super().__init__(code)
        self.code = code
        self.params = params


class EvidenceNotFound(LookupError):
    """No stored file of that name (or not a name this store ever makes)."""


# --- settings -----------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceSettings:
    """Limits and location of the store; see the module docstring for keys."""

    upload_root: Path
    max_file_bytes: int = 8 * MiB
    max_files_per_ticket: int = 5
    max_image_pixels: int = 40_000_000
    image_max_side: int = 2560
    image_quality: int = 85
    pdf_max_decoded_bytes: int = 32 * MiB
    max_decoded_pixels: int = 16_000_000
    image_work_slots: int = 2
    max_bytes_per_draft: int = 24 * MiB
    #: None: the check is off (``EVIDENCE_QUALITY_CHECK`` false).
    quality: Thresholds | None = field(default_factory=Thresholds)
    #: The backend; None means a ``LocalStorage`` of ``upload_root``.
    storage: EvidenceStorage | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        instance_path: str | os.PathLike[str] | None = None,
        storage: EvidenceStorage | None = None,
    ) -> EvidenceSettings:
        """Read the upper-case keys; ``UPLOAD_ROOT`` defaults to ``<instance>/evidence``."""
        root = config.get("UPLOAD_ROOT")
        if not root:
            if instance_path is None:
                raise ValueError("UPLOAD_ROOT is not configured")
            root = Path(instance_path) / "evidence"
        values = {attr: int(config[key]) for attr, key in _CONFIG_KEYS.items() if config.get(key)}
        quality = (
            Thresholds.from_config(config) if config.get("EVIDENCE_QUALITY_CHECK", True) else None
        )
        return cls(upload_root=Path(root), storage=storage, quality=quality, **values)


_CONFIG_KEYS = {
    "max_file_bytes": "MAX_FILE_BYTES",
    "max_files_per_ticket": "MAX_FILES_PER_TICKET",
    "max_image_pixels": "MAX_IMAGE_PIXELS",
    "image_max_side": "IMAGE_MAX_SIDE",
    "image_quality": "IMAGE_QUALITY",
    "pdf_max_decoded_bytes": "PDF_MAX_DECODED_BYTES",
    "max_decoded_pixels": "MAX_DECODED_PIXELS",
    "image_work_slots": "IMAGE_WORK_SLOTS",
    "max_bytes_per_draft": "UPLOAD_MAX_BYTES_PER_DRAFT",
}

SettingsLike = EvidenceSettings | Mapping[str, Any] | None


def _settings(settings: SettingsLike) -> EvidenceSettings:
    """``None`` means the current Flask app's config and instance folder."""
    if isinstance(settings, EvidenceSettings):
        return settings
    if settings is None:
        config, instance = current_app.config, current_app.instance_path
        return EvidenceSettings.from_config(config, instance, storage=storage())
    if settings.get("EVIDENCE_STORAGE_URL"):
        from portal.storage.factory import make_storage

        bucket = make_storage(settings, instance_path="")
        return EvidenceSettings.from_config(settings, instance_path="", storage=bucket)
    return EvidenceSettings.from_config(settings)


# --- results ------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessedFile:
    """A checked upload, ready to store: re-encoded image bytes or the PDF as sent."""

    data: bytes = field(repr=False)
    media_type: str
    doc_type: str
    gps_lat: float | None = None
    gps_lon: float | None = None
    #: ``quality.CODES`` this photo was flagged for; empty for a PDF.
    quality: tuple[str, ...] = ()

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.media_type][0]


@dataclass(frozen=True)
class StoredFile:
    """A file fsynced and renamed into the store; what an evidence row records."""

    stored_name: str
    sha256: str
    size: int
    media_type: str
    doc_type: str
    gps_lat: float | None = None
    gps_lon: float | None = None
    #: The name the resident's file had (``display_name``), shown back to them
    #: on the evidence page only; kept in the encrypted draft, never in the
    #: ticket or on disk.
    display_name: str = ""
    #: ``quality.CODES`` the photo was flagged for, and whether the resident
    #: chose to keep it anyway; a flagged photo not yet kept is still a file
    #: of the draft (never dropped without the resident's choice).
    quality: tuple[str, ...] = ()
    quality_kept: bool = False

    @property
    def gps(self) -> tuple[float, float] | None:
        """(latitude, longitude), as ``portal.tickets.service.StoredFile`` expects."""
        if self.gps_lat is None or self.gps_lon is None:
            return None
        return (self.gps_lat, self.gps_lon)


# --- checking an upload -------------------------------------------------------


def sniff(data: bytes) -> str | None:
    """The media type from the magic bytes, or None for anything we do not take.

    The browser's Content-Type and the file name are the sender's claims; an
    HTML page renamed ``.jpg`` would run as a page if served as one.
    """
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and data[12:16] in (b"VP8 ", b"VP8L", b"VP8X"):
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def check_draft_bytes(existing: int, adding: int, settings: SettingsLike = None) -> None:
    """Refuse a file that would take a draft's files past
    ``UPLOAD_MAX_BYTES_PER_DRAFT`` (UP9); nothing is stored then."""
    cfg = _settings(settings)
    if existing + adding > cfg.max_bytes_per_draft:
        raise EvidenceError("draft_full", max_bytes=cfg.max_bytes_per_draft)


_UNSHOWN = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
DISPLAY_NAME_CHARS = 60


def display_name(filename: str) -> str:
    """The file's own name, as the resident's list shows it: the last path
    part, without control characters or the bidi overrides that make
    ``x\\u202egpj.exe`` read as ``xexe.jpg``,
    cut to ``DISPLAY_NAME_CHARS``. Templates escape it."""
    name = _UNSHOWN.sub("", PurePosixPath(filename.replace("\\", "/")).name).strip()
    if len(name) > DISPLAY_NAME_CHARS:
        name = name[: DISPLAY_NAME_CHARS - 1] + "…"
    return name


def check_file_count(existing: int, adding: int = 1, settings: SettingsLike = None) -> None:
    """Refuse when a ticket would hold more than ``MAX_FILES_PER_TICKET`` files."""
    cfg = _settings(settings)
    if existing + adding > cfg.max_files_per_ticket:
        raise EvidenceError("too_many", max_files=cfg.max_files_per_ticket)


def process_upload(
    filename: str,
    data: bytes,
    *,
    doc_type: str,
    keep_gps: bool,
    settings: SettingsLike = None,
) -> ProcessedFile:
    """Check one upload and return what may be stored; raise ``EvidenceError``.

    ``filename`` is used for its extension only and is never stored: residents
    name files after the document, and the name of a KTP photo often holds
    the NIK. ``doc_type`` is the form's choice (``portal.tickets.models.
    DOC_TYPES``). ``keep_gps`` is the resident's consent to share where a
    photo was taken; without it the position is dropped with the rest of the
    metadata.
    """
    cfg = _settings(settings)
    if not DOC_TYPE.fullmatch(doc_type):
        raise ValueError(f"malformed doc_type {doc_type!r}")
    if not data:
        raise EvidenceError("empty")
    if len(data) > cfg.max_file_bytes:
        raise EvidenceError("too_large", max_bytes=cfg.max_file_bytes)
    media_type = sniff(data)
    if media_type is None:
        raise EvidenceError("unsupported_type")
    _check_extension(filename, media_type)
    if media_type == PDF:
        try:
            inspect_pdf(data, cfg.pdf_max_decoded_bytes)
        except PdfRefused as exc:
            raise EvidenceError(exc.code, **exc.params) from exc
        return ProcessedFile(data=data, media_type=PDF, doc_type=doc_type)
    limits = ImageLimits(
        cfg.max_image_pixels,
        cfg.image_max_side,
        cfg.image_quality,
        max_decoded_pixels=cfg.max_decoded_pixels,
        work_slots=cfg.image_work_slots,
    )
    try:
        clean, gps = clean_image(data, _PILLOW_FORMAT[media_type], keep_gps, limits)
    except ImageRefused as exc:
        raise EvidenceError(exc.code, **exc.params) from exc
    if len(clean) > cfg.max_file_bytes:
        raise EvidenceError("too_large", max_bytes=cfg.max_file_bytes)
    lat, lon = gps if gps else (None, None)
    return ProcessedFile(
        data=clean,
        media_type=media_type,
        doc_type=doc_type,
        gps_lat=lat,
        gps_lon=lon,
        quality=_quality(clean, media_type, doc_type, cfg),
    )


def _quality(data: bytes, media_type: str, doc_type: str, cfg: EvidenceSettings) -> tuple[str, ...]:
    """The quality codes of a cleaned (upright) image. A check that fails
    costs the resident a warning, never their file: it is logged and passes."""
    if cfg.quality is None:
        return ()
    try:
        with work_slot(cfg.image_work_slots):
            return check_bytes(
                data, _PILLOW_FORMAT[media_type], document=is_document(doc_type), limits=cfg.quality
            )
    except Exception:
        log.warning("evidence quality check failed", exc_info=True)
        return ()


def _check_extension(filename: str, media_type: str) -> None:
    """The name must end in an extension of the sniffed type (case-insensitive).

    A PNG named ``.jpg`` is most likely a mistake, but a mismatch is also how
    polyglot files slip past tools that trust one or the other.
    """
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix not in EXTENSIONS[media_type]:
        raise EvidenceError("extension_mismatch", expected=EXTENSIONS[media_type][0])


# --- storage ------------------------------------------------------------------


def store(processed: ProcessedFile, settings: SettingsLike = None) -> StoredFile:
    """Write ``processed`` under a new random name; durable before it returns.

    The name comes from ``secrets`` and the extension from the sniffed type,
    so nothing the resident chose reaches the storage and traversal is
    impossible by construction. The backend (``portal.storage``) returns only
    once the whole file is durable — fsynced and linked into place on disk,
    acknowledged by the service in a bucket — and never overwrites, so after
    a crash the name either does not exist or holds the whole file (RE2).
    Call this before the transaction that records the row commits.
    """
    name = _random_name(processed.extension)
    _backend(_settings(settings)).put(name, processed.data)
    return StoredFile(
        stored_name=name,
        sha256=hashlib.sha256(processed.data).hexdigest(),
        size=len(processed.data),
        media_type=processed.media_type,
        doc_type=processed.doc_type,
        gps_lat=processed.gps_lat,
        gps_lon=processed.gps_lon,
        quality=processed.quality,
    )


def store_thumbnail(stored_name: str, media_type: str, settings: SettingsLike = None) -> str | None:
    """Write the office's small WebP of a stored image beside it, under a new
    random name, durable before it returns; its name, or None for a PDF.

    Called when a file becomes a ticket's evidence (``service``), not on
    upload: a draft's abandoned photos get no second copy. A thumbnail that
    cannot be made costs the office a preview, not the resident their
    request: the failure is logged, and the page shows a file link instead.
    """
    fmt = _PILLOW_FORMAT.get(media_type)
    if fmt is None:
        return None
    cfg = _settings(settings)
    try:
        data = read_stored(stored_name, cfg)
    except EvidenceNotFound:
        log.warning("evidence thumbnail not made: no stored file")
        return None
    name = _random_name(EXTENSIONS[WEBP][0])
    try:
        small = thumbnail_webp(data, fmt, THUMB_SIDE, THUMB_QUALITY, cfg.image_work_slots)
        _backend(cfg).put(name, small)
    except Exception:
        log.warning("evidence thumbnail not made", exc_info=True)
        return None
    return name


def read_stored(stored_name: str, settings: SettingsLike = None) -> bytes:
    """A stored file's bytes, for an authorising view to send (UP7).

    The name comes from the database, but is still checked against the shape
    ``store`` makes, so a tampered row cannot reach another file; the local
    backend also refuses symlinks.
    """
    name = _checked_name(stored_name)
    try:
        return _backend(_settings(settings)).get(name)
    except StoredObjectMissing:
        raise EvidenceNotFound(stored_name) from None


def touch_stored(stored_name: str, settings: SettingsLike = None) -> bool:
    """Renew a draft's file so the orphan sweep's grace starts again; False if
    it is gone (a draft may outlive a file the sweep already took)."""
    try:
        _backend(_settings(settings)).touch(_checked_name(stored_name))
    except (EvidenceNotFound, StoredObjectMissing, FileNotFoundError):
        return False
    return True


def delete_stored(stored_name: str, settings: SettingsLike = None) -> bool:
    """Remove a stored file (a rolled-back submission, retention); False if absent."""
    return _backend(_settings(settings)).delete(_checked_name(stored_name))


def sweep_orphans(
    known_names: Collection[str] | Callable[[list[str]], Collection[str]],
    settings: SettingsLike = None,
    older_than: timedelta = DEFAULT_SWEEP_GRACE,
    now: datetime | None = None,
) -> list[str]:
    """Remove stored files no evidence row names, and abandoned temp files.

    Only files last written or touched more than ``older_than`` before
    ``now`` (default: the current time) are touched: a file is stored before
    its row commits, and an upload in flight must not lose its file.
    ``known_names`` is either the names the database holds or a function
    given the old candidates that returns those of them it holds; it is
    consulted after the store is listed, so a row committed during the sweep
    still protects its file. Files of any other shape are left alone.
    Returns the removed names, sorted.
    """
    backend = _backend(_settings(settings))
    cutoff = (now or datetime.now(UTC)) - older_than
    candidates = [n for n in backend.names(older_than=cutoff) if STORED_NAME.fullmatch(n)]
    referenced = known_names(candidates) if callable(known_names) else known_names
    orphans = [n for n in candidates if n not in referenced]
    for name in orphans:
        backend.delete(name)
    removed = sorted(orphans + backend.sweep_temporaries(cutoff))
    if removed:
        log.info(
            "evidence orphans removed",
            extra={"event": {"event": "evidence_swept", "removed": len(removed)}},
        )
    return removed


def _backend(cfg: EvidenceSettings) -> EvidenceStorage:
    """Where ``cfg``'s files live: its own backend, else its directory."""
    return cfg.storage if cfg.storage is not None else LocalStorage(cfg.upload_root)


def _checked_name(stored_name: str) -> str:
    if not isinstance(stored_name, str) or not STORED_NAME.fullmatch(stored_name):
        raise EvidenceNotFound(stored_name)
    return stored_name


def _random_name(extension: str) -> str:
    """192 random bits; never a leading ``-`` (it reads as an option to ``rm``)."""
    while (token := secrets.token_urlsafe(24)).startswith("-"):
        pass
    return token + extension
