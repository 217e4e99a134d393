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
* stores under a random name outside the web root, mode 0600, fsynced and
  renamed into place *before* the database commit, so a committed evidence row
  always points at a complete file. A crash between the rename and the commit
  leaves an orphan file, which ``sweep_orphans`` removes later.

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
``MAX_FILE_BYTES``         largest accepted upload (and stored file), 8 MiB
``MAX_FILES_PER_TICKET``   5
``MAX_IMAGE_PIXELS``       width × height refused above this, 40 000 000
``IMAGE_MAX_SIDE``         longest side of a stored image, 2560 px
``IMAGE_QUALITY``          JPEG and WebP quality, 85
``PDF_MAX_DECODED_BYTES``  inflate budget for PDF object streams, 32 MiB
=========================  ====================================================

PDF inspection. A PDF is stored as uploaded (there is no safe re-encoder in
the standard library), so it is refused when any of these names appears as a
PDF name, after undoing ``#xx`` escapes (``/J#61vaScript`` is ``/JavaScript``):
JavaScript, JS, OpenAction, AA, Launch, EmbeddedFile(s), EF, FileAttachment,
RichMedia, XFA, GoToE, GoToR, SubmitForm, ImportData, Rendition; and when
``/Encrypt`` appears, because encrypted strings and streams cannot be read.
A reader finds objects in three places, and each is covered:

1. the file body: a small lexer walks the syntax the way readers do (strings,
   hex strings, comments, ``stream`` after a dictionary) and checks every
   name outside string and stream data. Names inside binary stream data are
   not checked there: compressed images are random bytes and spell ``/JS(``
   or ``/AA<`` by chance often enough to refuse real scans;
2. stream data: a reader only parses objects there if an object header
   (``12 0 obj``) points into it, so any object header inside string, comment
   or stream data refuses the file (``pdf_uninspectable``). Long forbidden
   names (five letters or more, which random bytes do not produce) are also
   checked over the raw bytes of the whole file, as a second net;
3. object streams (``/Type /ObjStm``, or any stream with ``/First``): they
   are decoded (FlateDecode, ASCIIHexDecode, ASCII85Decode, within
   ``PDF_MAX_DECODED_BYTES`` in total, so a zip bomb costs nothing) and every
   name in the result is checked, strings included. An object stream that
   cannot be decoded (another filter, decode parameters or a predictor, an
   indirect filter, corrupt data, over budget) refuses the file
   (``pdf_uninspectable``).

The lexer is the only part that works in Python per token, and it stops
after ``_PDF_MAX_TOKENS`` tokens (``pdf_uninspectable``): real evidence PDFs
need a few thousand, and eight megabytes of ``()()()`` must not hold a
worker for seconds. Everything else is regex or zlib work in C.

Known limitation: this is a scanner, not a full PDF parser. A reader with a
quirk the lexer does not model (for example one that tolerates a malformed
stream boundary differently) could in principle see syntax the scanner treats
as stream data. The view serves files as attachments with ``nosniff`` and a
sandbox CSP (UP7), so browsers do not run them inline; a later hardening step
would be to rewrite PDFs in a sandboxed converter (qpdf, Ghostscript).
Harmless PDFs can be refused: a link or text that contains ``/Launch/`` or
another long forbidden name, or a PDF that discusses PDF syntax
(``1 0 obj``) in an uncompressed page.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import logging
import math
import os
import re
import secrets
import struct
import time
import warnings
import zlib
from base64 import a85decode
from binascii import unhexlify
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from flask import current_app
from PIL import ExifTags, Image, ImageFile, ImageOps

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
    }
)

DOC_TYPE = re.compile(r"[a-z][a-z0-9_]{0,23}")
#: ``secrets.token_urlsafe(24)`` is 32 characters; never starting with ``-``
#: keeps the names safe to pass to shell tools during an incident.
STORED_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{31}\.(?:jpg|png|webp|pdf)")
_TEMP_PREFIX = ".tmp-"
_TEMP_NAME = re.compile(r"\.tmp-[A-Za-z0-9_-]{22}")
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

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], instance_path: str | os.PathLike[str] | None = None
    ) -> EvidenceSettings:
        """Read the upper-case keys; ``UPLOAD_ROOT`` defaults to ``<instance>/evidence``."""
        root = config.get("UPLOAD_ROOT")
        if not root:
            if instance_path is None:
                raise ValueError("UPLOAD_ROOT is not configured")
            root = Path(instance_path) / "evidence"
        values = {attr: int(config[key]) for attr, key in _CONFIG_KEYS.items() if config.get(key)}
        return cls(upload_root=Path(root), **values)


_CONFIG_KEYS = {
    "max_file_bytes": "MAX_FILE_BYTES",
    "max_files_per_ticket": "MAX_FILES_PER_TICKET",
    "max_image_pixels": "MAX_IMAGE_PIXELS",
    "image_max_side": "IMAGE_MAX_SIDE",
    "image_quality": "IMAGE_QUALITY",
    "pdf_max_decoded_bytes": "PDF_MAX_DECODED_BYTES",
}

SettingsLike = EvidenceSettings | Mapping[str, Any] | None


def _settings(settings: SettingsLike) -> EvidenceSettings:
    """``None`` means the current Flask app's config and instance folder."""
    if isinstance(settings, EvidenceSettings):
        return settings
    if settings is None:
        return EvidenceSettings.from_config(current_app.config, current_app.instance_path)
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
        _inspect_pdf(data, cfg)
        return ProcessedFile(data=data, media_type=PDF, doc_type=doc_type)
    clean, gps = _process_image(data, media_type, keep_gps, cfg)
    if len(clean) > cfg.max_file_bytes:
        raise EvidenceError("too_large", max_bytes=cfg.max_file_bytes)
    lat, lon = gps if gps else (None, None)
    return ProcessedFile(
        data=clean, media_type=media_type, doc_type=doc_type, gps_lat=lat, gps_lon=lon
    )


def _check_extension(filename: str, media_type: str) -> None:
    """The name must end in an extension of the sniffed type (case-insensitive).

    A PNG named ``.jpg`` is most likely a mistake, but a mismatch is also how
    polyglot files slip past tools that trust one or the other.
    """
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix not in EXTENSIONS[media_type]:
        raise EvidenceError("extension_mismatch", expected=EXTENSIONS[media_type][0])


# --- images -------------------------------------------------------------------

#: What Pillow's decoders raise on malformed input; any of them means "this
#: is not a usable image" rather than a bug to show as a 500.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    TypeError,
    KeyError,
    ZeroDivisionError,
    zlib.error,
)
#: A progressive JPEG decodes every scan over the whole image, so thousands
#: of tiny scans make a small file that costs many seconds of CPU. Cameras
#: write at most a few dozen (MPF files hold several images).
_MAX_JPEG_SCANS = 100


def _process_image(
    data: bytes, media_type: str, keep_gps: bool, cfg: EvidenceSettings
) -> tuple[bytes, tuple[float, float] | None]:
    """Decode, straighten, shrink and re-encode; return the bytes and the GPS position.

    ``DecompressionBombWarning`` is an error here (Pillow only warns between
    its limit and twice its limit). ``Image.MAX_IMAGE_PIXELS`` is left alone:
    it is process-wide and also governs WeasyPrint's receipts; our own limit
    is checked explicitly on the header instead, so the result does not
    depend on the warning filter either (``catch_warnings`` is not
    thread-safe before Python 3.14).
    """
    fmt = _PILLOW_FORMAT[media_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            _check_header(data, fmt, cfg)
            with Image.open(io.BytesIO(data), formats=[fmt]) as img:
                _reduce_while_decoding(img, cfg)
                # Process-wide and flipped on by WeasyPrint at import: a
                # truncated upload must fail here, whoever else set it.
                ImageFile.LOAD_TRUNCATED_IMAGES = False
                img.load()
                gps = _gps_position(img) if keep_gps else None
                clean = _clean_copy(img, fmt, cfg)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise EvidenceError("too_many_pixels", max_pixels=cfg.max_image_pixels) from exc
    except _DECODE_ERRORS as exc:
        raise EvidenceError("corrupt") from exc
    return _encode(clean, fmt, cfg), gps


def _check_header(data: bytes, fmt: str, cfg: EvidenceSettings) -> None:
    """Refuse bombs and broken files before decoding any pixel.

    ``Image.open`` is lazy: it reads the header (so a 30000×30000 PNG costs
    microseconds here), and ``verify()`` walks the chunks and their CRCs
    without decoding, catching truncated PNGs that ``load()`` tolerates.
    """
    if fmt == "JPEG" and data.count(b"\xff\xda") > _MAX_JPEG_SCANS:
        raise EvidenceError("corrupt")
    with Image.open(io.BytesIO(data), formats=[fmt]) as img:
        width, height = img.size
        if width <= 0 or height <= 0:
            raise EvidenceError("corrupt")
        if width * height > cfg.max_image_pixels:
            raise EvidenceError("too_many_pixels", max_pixels=cfg.max_image_pixels)
        img.verify()


def _reduce_while_decoding(img: Image.Image, cfg: EvidenceSettings) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the result is shrunk
    anyway: a 40 MP photo then needs a quarter of the memory. No-op for PNG/WebP."""
    width, height = img.size
    scale = cfg.image_max_side / max(width, height)
    if scale < 1:
        img.draft(None, (max(1, round(width * scale)), max(1, round(height * scale))))


def _clean_copy(img: Image.Image, fmt: str, cfg: EvidenceSettings) -> Image.Image:
    """Upright, scaled-down pixels in a brand-new image with an empty ``info``.

    Pillow copies ``info`` (EXIF, XMP, ICC profile, PNG text) through
    ``convert``/``resize``, and its PNG writer re-emits the ICC profile from
    ``info`` unasked. Building the result with ``frombytes`` leaves nothing
    but pixels to write.
    """
    upright = _eight_bit(_upright(img))
    upright = upright.convert(_output_mode(upright, fmt))
    upright.thumbnail((cfg.image_max_side, cfg.image_max_side), Image.Resampling.LANCZOS)
    return Image.frombytes(upright.mode, upright.size, upright.tobytes())


def _upright(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation, since the tag itself is about to be dropped.

    Cheap phones write broken EXIF; then the photo is kept as stored rather
    than refused.
    """
    try:
        return ImageOps.exif_transpose(img)
    except _DECODE_ERRORS:
        return img


def _eight_bit(img: Image.Image) -> Image.Image:
    """16-bit grey PNGs (some scanner apps) scaled to 8 bits; Pillow's own
    conversion clips them, and the stored copy would be a white page."""
    if img.mode == "I" or img.mode.startswith("I;16"):
        return img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    return img


def _output_mode(img: Image.Image, fmt: str) -> str:
    if fmt != "JPEG" and img.has_transparency_data:
        return "RGBA"
    if fmt != "WEBP" and img.mode in ("1", "L"):
        return "L"
    return "RGB"


def _encode(img: Image.Image, fmt: str, cfg: EvidenceSettings) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=cfg.image_quality, optimize=True)
    elif fmt == "WEBP":
        img.save(buf, "WEBP", quality=cfg.image_quality, method=4)
    else:
        img.save(buf, "PNG")
    return buf.getvalue()


def _gps_position(img: Image.Image) -> tuple[float, float] | None:
    """Latitude and longitude in decimal degrees from the GPS IFD, or None.

    The hemisphere references are required: most of Indonesia is south of the
    equator, and a position without its sign is 1,000 km off. ``(0, 0)`` is
    what some phones write without a fix, so it counts as none.
    """
    try:
        gps = img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        lat = _degrees(
            gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "NS"
        )
        lon = _degrees(
            gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "EW"
        )
    except _DECODE_ERRORS:
        return None
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180 or lat == lon == 0:
        return None
    return round(lat, 6), round(lon, 6)


def _degrees(dms: Any, ref: Any, refs: str) -> float | None:
    """(degrees, minutes, seconds) and its hemisphere to signed decimal degrees.

    ``refs`` is the positive then the negative reference: "NS" or "EW".
    """
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if not isinstance(ref, str) or not isinstance(dms, tuple) or len(dms) != 3:
        return None
    ref = ref.strip("\x00 ").upper()
    if len(ref) != 1 or ref not in refs:
        return None
    degrees, minutes, seconds = (abs(float(part)) for part in dms)
    value = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(value):
        return None
    return -value if ref == refs[1] else value


# --- PDF inspection -----------------------------------------------------------

_ACTIVE_NAMES = frozenset(
    {
        b"JavaScript",
        b"JS",
        b"OpenAction",
        b"AA",
        b"Launch",
        b"EmbeddedFile",
        b"EmbeddedFiles",
        b"EF",
        b"FileAttachment",
        b"RichMedia",
        b"XFA",
        b"GoToE",
        b"GoToR",
        b"SubmitForm",
        b"ImportData",
        b"Rendition",
    }
)
_OBJECT_STREAM_MARKS = frozenset({b"ObjStm", b"First"})
#: Stream keys that change how the data decodes in ways we do not model
#: (predictors, external files); an object stream using one is refused.
_UNMODELLED_STREAM_KEYS = frozenset(
    {b"DecodeParms", b"DP", b"Predictor", b"F", b"FFilter", b"FDecodeParms"}
)

_REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_TOKEN = re.compile(
    rb"[\x00\t\n\x0c\r ]*+(?:(?P<comment>%)|(?P<string>\()|(?P<dict_open><<)"
    rb"|(?P<dict_close>>>)|(?P<hex><)|(?P<name>/" + _REGULAR + rb"*+)"
    rb"|(?P<word>" + _REGULAR + rb"++)|(?P<other>[\[\]{}>)]))"
)
_STRING_SPECIAL = re.compile(rb"[()\\]")
_EOL = re.compile(rb"[\r\n]")
_STREAM_START = re.compile(rb"[ \t]*+(?:\r\n|\n|\r)?")
_ENDSTREAM = re.compile(rb"[\x00\t\n\x0c\r ]*+endstream")
_SEPARATOR = rb"(?>[\x00\t\n\x0c\r ]|%[^\r\n]*+)"
#: ``12 0 obj``, as lenient readers accept it: signs, dots, comments as
#: separators, and no space before ``obj``.
_OBJECT_HEADER = re.compile(rb"[0-9.]" + _SEPARATOR + rb"++[+-]*+[0-9.]++" + _SEPARATOR + rb"*+obj")
_HEADER_TOKENS_KEPT = 4096


def _inspect_pdf(data: bytes, cfg: EvidenceSettings) -> None:
    """Raise ``EvidenceError`` unless the PDF is plain pages (module docstring)."""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-1024:]:
        raise EvidenceError("corrupt")
    body = _lex_pdf(data)
    if b"Encrypt" in body.names or _ENCRYPT.search(data):
        raise EvidenceError("pdf_encrypted")
    _refuse_active(body.names & _ACTIVE_NAMES)
    _refuse_active(_found(_LONG_ACTIVE, data))
    _refuse_hidden_objects(data, body.skipped)
    budget = cfg.pdf_max_decoded_bytes
    for stream in body.streams:
        if stream.may_hold_objects:
            decoded = _decode_object_stream(data[stream.start : stream.end], stream, budget)
            budget -= len(decoded)
            if _ENCRYPT.search(decoded):
                raise EvidenceError("pdf_encrypted")
            _refuse_active(_found(_ANY_ACTIVE, decoded))


def _refuse_active(found: set[bytes]) -> None:
    if found:
        raise EvidenceError("pdf_active_content", feature=min(found).decode())


def _name_pattern(names: Collection[bytes]) -> re.Pattern[bytes]:
    """A regex for ``/Name`` in any spelling readers accept: each character
    literally or as a ``#xx`` escape (hex digits in either case), then the end
    of the name. It runs in C with no Python work per byte, so it can search
    the raw file and decoded object streams, strings included."""
    alternatives = b"|".join(b"".join(_name_char(c) for c in name) for name in sorted(names))
    return re.compile(rb"/(?:" + alternatives + rb")(?!" + _REGULAR + rb")")


def _name_char(c: int) -> bytes:
    digits = b"".join(
        b"[%c%c]" % (d, d + 32) if 0x41 <= d <= 0x46 else bytes((d,)) for d in b"%02X" % c
    )
    return b"(?:%s|#%s)" % (re.escape(bytes((c,))), digits)


def _found(pattern: re.Pattern[bytes], data: bytes) -> set[bytes]:
    """The forbidden name ``pattern`` finds first in ``data``, unescaped, or none."""
    m = pattern.search(data)
    return {_unescape(m[0][1:])} if m else set()


def _unescape(raw: bytes) -> bytes:
    """``J#61vaScript`` → ``JavaScript``: readers undo ``#xx`` before comparing names."""
    return _NAME_ESCAPE.sub(lambda m: bytes((int(m[1], 16),)), raw)


#: Names long enough that random bytes never spell them are looked for
#: everywhere, binary stream data included.
_LONG_ACTIVE = _name_pattern([n for n in _ACTIVE_NAMES if len(n) >= 5])
_ANY_ACTIVE = _name_pattern(_ACTIVE_NAMES)
_ENCRYPT = _name_pattern([b"Encrypt"])


@dataclass
class _Stream:
    """A stream's data span and the tokens of its object before ``stream``."""

    start: int
    end: int
    header: list[tuple[str, bytes]]
    header_complete: bool

    @property
    def may_hold_objects(self) -> bool:
        """Readers load an object stream by its ``/First`` offset, whatever its
        ``/Type`` says; a header too long to keep might hide either."""
        if not self.header_complete:
            return True
        return any(k == "name" and v in _OBJECT_STREAM_MARKS for k, v in self.header)


@dataclass
class _Body:
    names: set[bytes] = field(default_factory=set)
    #: (start, end) of string, hex string, comment and stream data, in order.
    skipped: list[tuple[int, int]] = field(default_factory=list)
    streams: list[_Stream] = field(default_factory=list)


def _lex_pdf(data: bytes) -> _Body:
    """Walk the file as a reader would; collect names outside strings and streams.

    A stream starts at the ``stream`` keyword right after the ``>>`` that
    closes a dictionary (at any nesting depth, as pdf.js does), and
    ends where ``/Length`` says when ``endstream`` follows there, else at the
    first ``endstream``. The work is bounded (``_PDF_MAX_TOKENS``): eight
    megabytes of ``()()()`` must not hold a worker for seconds.
    """
    body = _Body()
    obj = _ObjectState()
    work = _Work(_PDF_MAX_TOKENS)
    pos = 0
    while (m := _TOKEN.match(data, pos)) is not None:
        work.spend()
        kind = m.lastgroup or "other"
        start, pos = m.start(kind), m.end()
        if kind in _SKIP:
            pos = _SKIP[kind](data, start, work)
            body.skipped.append((start, pos))
            if kind != "comment":  # a comment is whitespace to a reader
                obj.after_dict = False
            continue
        token = m[kind]
        if kind == "word" and token == b"stream" and obj.after_dict:
            stream = _stream_span(data, pos, obj.header, obj.header_complete)
            body.streams.append(stream)
            body.skipped.append((pos, stream.end))
            pos = stream.end
            obj = _ObjectState()
            continue
        if kind == "word" and token.endswith(b"obj") and token != b"endobj":
            obj = _ObjectState()  # an object header: a new dictionary follows
            continue
        value = _unescape(token[1:]) if kind == "name" else token
        if kind == "name":
            body.names.add(value)
        obj.push(kind, value)
    return body


_PDF_MAX_TOKENS = 250_000


class _Work:
    """A budget of lexer steps; running out refuses the file."""

    def __init__(self, steps: int) -> None:
        self.left = steps

    def spend(self, steps: int = 1) -> None:
        self.left -= steps
        if self.left < 0:
            raise EvidenceError("pdf_uninspectable")


@dataclass
class _ObjectState:
    """What the lexer remembers of the object it is in."""

    #: Tokens since the object header, to read ``/Length`` and ``/Filter``.
    header: list[tuple[str, bytes]] = field(default_factory=list)
    header_complete: bool = True
    #: Open ``<<`` and ``[``. A closer that does not match the innermost
    #: opener closes nothing, as in a recursive-descent reader: ``[ >> stream``
    #: is not a stream.
    open_containers: list[bytes] = field(default_factory=list)
    #: The last token closed a dictionary, so ``stream`` may follow.
    after_dict: bool = False

    def push(self, kind: str, value: bytes) -> None:
        if len(self.header) < _HEADER_TOKENS_KEPT:
            self.header.append((kind, value))
        else:
            self.header_complete = False
        self.after_dict = False
        if kind == "name":  # /#3C#3C is a name, not a dictionary
            return
        if value in _CLOSES:
            if self.open_containers and self.open_containers[-1] == _CLOSES[value]:
                self.open_containers.pop()
                self.after_dict = value == b">>"
        elif value in (b"<<", b"["):
            self.open_containers.append(value)


_CLOSES = {b">>": b"<<", b"]": b"["}


def _comment_end(data: bytes, start: int, _work: _Work) -> int:
    m = _EOL.search(data, start)
    return m.start() if m else len(data)


def _string_end(data: bytes, start: int, work: _Work) -> int:
    """End of a literal string: balanced parentheses, backslash escapes."""
    depth, pos = 0, start
    while (m := _STRING_SPECIAL.search(data, pos)) is not None:
        work.spend()
        char = data[m.start()]
        if char == 0x5C:  # backslash: the next byte is literal
            pos = m.start() + 2
            continue
        depth += 1 if char == 0x28 else -1
        pos = m.start() + 1
        if depth == 0:
            return pos
    return len(data)


def _hex_end(data: bytes, start: int, _work: _Work) -> int:
    """A hex string ends at the first ``>``; readers skip anything else inside,
    ``(`` included, which is why it must not be taken for a literal string."""
    end = data.find(b">", start + 1)
    return len(data) if end < 0 else end + 1


_SKIP: dict[str, Callable[[bytes, int, _Work], int]] = {
    "comment": _comment_end,
    "string": _string_end,
    "hex": _hex_end,
}


def _stream_span(
    data: bytes, keyword_end: int, header: list[tuple[str, bytes]], complete: bool
) -> _Stream:
    start = _STREAM_START.match(data, keyword_end).end()  # type: ignore[union-attr]
    length = _direct_int(header, b"Length")
    if length is not None and _ENDSTREAM.match(data, start + length):
        end = start + length
    else:
        found = data.find(b"endstream", start)
        end = len(data) if found < 0 else found
    return _Stream(start=start, end=end, header=header, header_complete=complete)


def _direct_int(header: list[tuple[str, bytes]], key: bytes) -> int | None:
    """The value of ``/key`` when it is given once and as a plain number."""
    at = [i for i, token in enumerate(header) if token == ("name", key)]
    if len(at) != 1:
        return None
    value = header[at[0] + 1 : at[0] + 4]
    if not value or value[0][0] != "word" or not value[0][1].isdigit():
        return None
    if len(value) == 3 and value[2] == ("word", b"R"):  # an indirect reference
        return None
    return int(value[0][1])


def _filter_chain(header: list[tuple[str, bytes]]) -> list[bytes] | None:
    """The ``/Filter`` names in order, [] without one, None when unreadable."""
    at = [i for i, token in enumerate(header) if token == ("name", b"Filter")]
    if not at:
        return []
    if len(at) > 1 or at[0] + 1 >= len(header):
        return None
    first = header[at[0] + 1]
    if first[0] == "name":
        return [first[1]]
    if first != ("other", b"["):
        return None
    chain = []
    for kind, value in header[at[0] + 2 :]:
        if (kind, value) == ("other", b"]"):
            return chain
        if kind != "name":
            return None
        chain.append(value)
    return None


def _refuse_hidden_objects(data: bytes, skipped: list[tuple[int, int]]) -> None:
    """An object header inside string, comment or stream data is there to be
    found by the cross-reference table while hiding from a scanner."""
    starts = [s for s, _ in skipped]
    for m in _OBJECT_HEADER.finditer(data):
        keyword = m.end() - 3
        i = bisect.bisect_right(starts, keyword) - 1
        if i >= 0 and keyword < skipped[i][1]:
            raise EvidenceError("pdf_uninspectable")


def _decode_object_stream(raw: bytes, stream: _Stream, budget: int) -> bytes:
    """Undo the filters of an object stream, or refuse what we cannot read."""
    chain = _filter_chain(stream.header) if stream.header_complete else None
    unmodelled = any(k == "name" and v in _UNMODELLED_STREAM_KEYS for k, v in stream.header)
    if chain is None or unmodelled or any(f not in _FILTERS for f in chain):
        raise EvidenceError("pdf_uninspectable")
    try:
        for name in chain:
            raw = _FILTERS[name](raw, budget)
    except (zlib.error, ValueError) as exc:  # binascii.Error is a ValueError
        raise EvidenceError("pdf_uninspectable") from exc
    return raw


def _inflate(raw: bytes, budget: int) -> bytes:
    """zlib with a hard output cap: a 1 kB stream can inflate to gigabytes."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(raw, budget + 1)
    if len(out) > budget:
        raise EvidenceError("pdf_uninspectable")
    return out


def _ascii_hex(raw: bytes, _budget: int) -> bytes:
    digits = re.sub(rb"[\x00\t\n\x0c\r ]", b"", raw.split(b">", 1)[0])
    return unhexlify(digits + b"0" * (len(digits) % 2))


def _ascii85(raw: bytes, _budget: int) -> bytes:
    text = raw.split(b"~>", 1)[0]
    return a85decode(text, ignorechars=b"\x00\t\n\x0c\r ")


_FILTERS: dict[bytes, Callable[[bytes, int], bytes]] = {
    b"FlateDecode": _inflate,
    b"Fl": _inflate,
    b"ASCIIHexDecode": _ascii_hex,
    b"AHx": _ascii_hex,
    b"ASCII85Decode": _ascii85,
    b"A85": _ascii85,
}


# --- storage ------------------------------------------------------------------


def store(processed: ProcessedFile, settings: SettingsLike = None) -> StoredFile:
    """Write ``processed`` under a new random name; durable before it returns.

    The name comes from ``secrets`` and the extension from the sniffed type,
    so nothing the resident chose reaches the file system and traversal is
    impossible by construction. The bytes go to a temporary file in the same
    directory (mode 0600, created exclusively, no symlink followed), are
    fsynced, renamed into place, and the directory is fsynced, so after a
    crash the name either does not exist or holds the whole file (RE2).
    Call this before the transaction that records the row commits.
    """
    cfg = _settings(settings)
    root = _ensure_root(cfg.upload_root)
    final = root / _random_name(processed.extension)
    temp = root / f"{_TEMP_PREFIX}{secrets.token_urlsafe(16)}"
    try:
        _write_durably(temp, processed.data)
        os.rename(temp, final)
        _fsync_directory(root)
    except BaseException:
        temp.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise
    return StoredFile(
        stored_name=final.name,
        sha256=hashlib.sha256(processed.data).hexdigest(),
        size=len(processed.data),
        media_type=processed.media_type,
        doc_type=processed.doc_type,
        gps_lat=processed.gps_lat,
        gps_lon=processed.gps_lon,
    )


def open_stored(stored_name: str, settings: SettingsLike = None) -> Path:
    """The path of a stored file, for an authorising view to send (UP7).

    The name comes from the database, but is still checked against the shape
    ``store`` makes and resolved inside the root, so a tampered row cannot
    reach another file.
    """
    root = _settings(settings).upload_root.resolve()
    path = root / _checked_name(stored_name)
    if path.is_symlink() or not path.is_file() or path.resolve().parent != root:
        raise EvidenceNotFound(stored_name)
    return path


def delete_stored(stored_name: str, settings: SettingsLike = None) -> bool:
    """Remove a stored file (a rolled-back submission, retention); False if absent."""
    root = _settings(settings).upload_root.resolve()
    path = root / _checked_name(stored_name)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    _fsync_directory(root)
    return True


def sweep_orphans(
    known_names: Collection[str] | Callable[[list[str]], Collection[str]],
    settings: SettingsLike = None,
    older_than: timedelta = DEFAULT_SWEEP_GRACE,
) -> list[str]:
    """Remove stored files no evidence row names, and abandoned temp files.

    Only files last modified more than ``older_than`` ago are touched: a file
    is stored before its row commits, and an upload in flight must not lose
    its file. ``known_names`` is either the names the database holds or a
    function given the old candidates that returns those of them it holds;
    it is consulted after the directory is listed, so a row committed during
    the sweep still protects its file. Files of any other shape are left
    alone. Returns the removed names, sorted.
    """
    root = _settings(settings).upload_root
    if not root.is_dir():
        return []
    cutoff = time.time() - older_than.total_seconds()
    candidates, temps = _old_files(root, cutoff)
    referenced = known_names(candidates) if callable(known_names) else known_names
    removed = sorted([n for n in candidates if n not in referenced] + temps)
    for name in removed:
        (root / name).unlink(missing_ok=True)
    if removed:
        _fsync_directory(root)
        log.info(
            "evidence orphans removed",
            extra={"event": {"event": "evidence_swept", "removed": len(removed)}},
        )
    return removed


def _old_files(root: Path, cutoff: float) -> tuple[list[str], list[str]]:
    """Regular files older than ``cutoff``: (stored names, temp names)."""
    stored: list[str] = []
    temps: list[str] = []
    with os.scandir(root) as entries:
        for entry in entries:
            if not entry.is_file(follow_symlinks=False):
                continue
            if entry.stat(follow_symlinks=False).st_mtime > cutoff:
                continue
            if STORED_NAME.fullmatch(entry.name):
                stored.append(entry.name)
            elif _TEMP_NAME.fullmatch(entry.name):
                temps.append(entry.name)
    return stored, temps


def _checked_name(stored_name: str) -> str:
    if not isinstance(stored_name, str) or not STORED_NAME.fullmatch(stored_name):
        raise EvidenceNotFound(stored_name)
    return stored_name


def _random_name(extension: str) -> str:
    """192 random bits; never a leading ``-`` (it reads as an option to ``rm``)."""
    while (token := secrets.token_urlsafe(24)).startswith("-"):
        pass
    return token + extension


def _ensure_root(root: Path) -> Path:
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root.resolve()


def _write_durably(path: Path, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path) -> None:
    """Make a rename or unlink in ``directory`` survive a power cut."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
