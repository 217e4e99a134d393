"""Cleaning an uploaded image (SECURITY.md UP3, UP4), for ``evidence.py``.

The image is decoded from its own format only, refused when its header
promises more than ``max_pixels`` (before any pixel is decoded) or when it
does not decode, turned upright by its EXIF orientation, scaled to
``max_side``, and re-encoded from the pixels alone into the same format, so
nothing the phone wrote beside the pixels survives: EXIF (with the GPS
position of the resident's home), XMP, ICC profiles, text chunks, trailing
data. The GPS position is read out separately, only when asked for.

Memory (SECURITY.md UP8): a small file can promise many pixels, and Pillow
holds every decoded pixel, so three things bound a worker:

* ``max_decoded_pixels``: the pixels decoded at full size. JPEG is decoded
  at 1/2, 1/4 or 1/8 scale when the stored copy is smaller anyway (libjpeg's
  DCT scaling, ``Image.draft``), so a 40 MP phone photo decodes as 10 MP;
  PNG and WebP cannot be, so their whole size counts;
* the image is shrunk before it is turned upright and converted, so those
  copies are of the small image;
* ``work_slots``: images decoded at once per process (a semaphore); further
  uploads wait their turn instead of adding their pixels to the peak.

``tests/tickets/test_image_memory.py`` measures the peak of several
worst-case uploads in parallel against a stated bound.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import math
import struct
import threading
import warnings
import zlib
from dataclasses import dataclass
from typing import Any

from PIL import ExifTags, Image, ImageFile, ImageOps


class ImageRefused(Exception):
    """The image is refused; ``code`` is one of the ``EvidenceError`` codes."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class ImageLimits:
    max_pixels: int
    max_side: int
    quality: int  # JPEG and WebP
    max_decoded_pixels: int = 16_000_000
    work_slots: int = 2


_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def work_slot(slots: int) -> threading.BoundedSemaphore:
    """The process's semaphore for ``slots`` images at once (one per value,
    so a test with its own limit does not share the app's)."""
    with _slots_lock:
        return _slots.setdefault(max(1, slots), threading.BoundedSemaphore(max(1, slots)))


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


def clean_image(
    data: bytes, fmt: str, keep_gps: bool, cfg: ImageLimits
) -> tuple[bytes, tuple[float, float] | None]:
    """Decode, straighten, shrink and re-encode; return the bytes and the GPS position.

    ``DecompressionBombWarning`` is an error here (Pillow only warns between
    its limit and twice its limit). ``Image.MAX_IMAGE_PIXELS`` is left alone:
    it is process-wide and also governs WeasyPrint's receipts; our own limit
    is checked explicitly on the header instead, so the result does not
    depend on the warning filter either (``catch_warnings`` is not
    thread-safe before Python 3.14).
    """
    _check_header_or_refuse(data, fmt, cfg)  # cheap: refusals need no slot
    try:
        with work_slot(cfg.work_slots):
            return _clean_in_slot(data, fmt, keep_gps, cfg)
    finally:
        _give_memory_back()


def _give_memory_back() -> None:
    """Return freed pixel memory to the system. glibc raises its mmap
    threshold after big blocks are freed and then keeps later ones in its
    arenas: without this a worker stays at its peak long after the upload."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _load_libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _load_libc()


def _check_header_or_refuse(data: bytes, fmt: str, cfg: ImageLimits) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            _check_header(data, fmt, cfg)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused("too_many_pixels", max_pixels=cfg.max_pixels) from exc
    except _DECODE_ERRORS as exc:
        raise ImageRefused("corrupt") from exc


def _clean_in_slot(
    data: bytes, fmt: str, keep_gps: bool, cfg: ImageLimits
) -> tuple[bytes, tuple[float, float] | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as img:
                _reduce_while_decoding(img, cfg)
                width, height = img.size  # after draft: what will be decoded
                if width * height > cfg.max_decoded_pixels:
                    raise ImageRefused("too_many_pixels", max_pixels=cfg.max_decoded_pixels)
                # Process-wide and flipped on by WeasyPrint at import: a
                # truncated upload must fail here, whoever else set it.
                ImageFile.LOAD_TRUNCATED_IMAGES = False
                img.load()
                gps = _gps_position(img) if keep_gps else None
                clean = _clean_copy(img, fmt, cfg)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused("too_many_pixels", max_pixels=cfg.max_pixels) from exc
    except _DECODE_ERRORS as exc:
        raise ImageRefused("corrupt") from exc
    return _encode(clean, fmt, cfg), gps


def _check_header(data: bytes, fmt: str, cfg: ImageLimits) -> None:
    """Refuse bombs and broken files before decoding any pixel.

    ``Image.open`` is lazy: it reads the header (so a 30000×30000 PNG costs
    microseconds here), and ``verify()`` walks the chunks and their CRCs
    without decoding, catching truncated PNGs that ``load()`` tolerates.
    """
    if fmt == "JPEG" and data.count(b"\xff\xda") > _MAX_JPEG_SCANS:
        raise ImageRefused("corrupt")
    with Image.open(io.BytesIO(data), formats=[fmt]) as img:
        width, height = img.size
        if width <= 0 or height <= 0:
            raise ImageRefused("corrupt")
        if width * height > cfg.max_pixels:
            raise ImageRefused("too_many_pixels", max_pixels=cfg.max_pixels)
        img.verify()


def _reduce_while_decoding(img: Image.Image, cfg: ImageLimits) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the result is shrunk
    anyway: a 40 MP photo then needs a quarter of the memory. No-op for PNG/WebP."""
    width, height = img.size
    scale = cfg.max_side / max(width, height)
    if scale < 1:
        img.draft(None, (max(1, round(width * scale)), max(1, round(height * scale))))


def _clean_copy(img: Image.Image, fmt: str, cfg: ImageLimits) -> Image.Image:
    """Upright, scaled-down pixels in a brand-new image with an empty ``info``.

    Pillow copies ``info`` (EXIF, XMP, ICC profile, PNG text) through
    ``convert``/``resize``, and its PNG writer re-emits the ICC profile from
    ``info`` unasked. Building the result with ``frombytes`` leaves nothing
    but pixels to write.

    Shrunk first (UP8): turning and converting then copy the small image,
    not the full-size one. Modes Pillow resizes by nearest neighbour (bilevel,
    palette) are converted first; 16-bit grey is scaled to 8 bits once small.
    """
    if img.mode not in _RESIZABLE_MODES:
        img = img.convert(_output_mode(img, fmt))
    img.thumbnail((cfg.max_side, cfg.max_side), Image.Resampling.LANCZOS)
    upright = _upright(_eight_bit(img))
    upright = upright.convert(_output_mode(upright, fmt))
    return Image.frombytes(upright.mode, upright.size, upright.tobytes())


_RESIZABLE_MODES = frozenset(
    {"L", "LA", "RGB", "RGBA", "CMYK", "YCbCr", "I", "I;16", "I;16B", "I;16L"}
)


def thumbnail_jpeg(data: bytes, fmt: str, side: int, slots: int) -> bytes:
    """A small JPEG of a stored (already cleaned) image, for the resident's
    own list of uploads; transparency goes onto white."""
    with work_slot(slots), Image.open(io.BytesIO(data), formats=[fmt]) as img:
        img.draft("RGB", (side, side))
        img.thumbnail((side, side), Image.Resampling.BILINEAR)
        small = img.convert("RGBA")
        flat = Image.new("RGB", small.size, "white")
        flat.paste(small, mask=small.getchannel("A"))
        buf = io.BytesIO()
        flat.save(buf, "JPEG", quality=70)
        return buf.getvalue()


def thumbnail_webp(data: bytes, fmt: str, side: int, quality: int, slots: int) -> bytes:
    """A small WebP of a stored (already cleaned) image, for the office's
    ticket page: at most ``side`` px on its longest side, transparency kept."""
    with work_slot(slots), Image.open(io.BytesIO(data), formats=[fmt]) as img:
        img.draft("RGB", (side, side))
        img.thumbnail((side, side), Image.Resampling.BILINEAR)
        small = img.convert("RGBA" if img.has_transparency_data else "RGB")
        buf = io.BytesIO()
        small.save(buf, "WEBP", quality=quality, method=4)
        return buf.getvalue()


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


def _encode(img: Image.Image, fmt: str, cfg: ImageLimits) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=cfg.quality, optimize=True)
    elif fmt == "WEBP":
        img.save(buf, "WEBP", quality=cfg.quality, method=4)
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
