"""Evidence test files, all built in code (none is committed): photos with
phone EXIF and GPS, PNG chunks, decompression bombs, well-formed PDFs; and
the upload helpers."""

from __future__ import annotations

import functools
import io
import struct
import zlib
from base64 import a85encode

import pytest
from PIL import ExifTags, Image, ImageCms

from portal.tickets.evidence import (
    EvidenceError,
    EvidenceSettings,
    process_upload,
    read_stored,
    store,
)

# Jakarta, Monas: 6°10'31.2" S, 106°49'38.4" E.
LAT, LON = -(6 + 10 / 60 + 31.2 / 3600), 106 + 49 / 60 + 38.4 / 3600
MIB = 1024 * 1024


def upload(name: str, data: bytes, settings: EvidenceSettings, *, keep_gps: bool = False):
    return process_upload(name, data, doc_type="ktp", keep_gps=keep_gps, settings=settings)


def refused(name: str, data: bytes, settings: EvidenceSettings) -> str:
    with pytest.raises(EvidenceError) as info:
        upload(name, data, settings)
    return info.value.code


# --- image fixtures -----------------------------------------------------------


def photo(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    """Not a flat colour, so re-encoding has something to lose."""
    img = Image.linear_gradient("L").resize(size).convert(mode)
    img.paste(Image.new(mode, (size[0] // 4, size[1] // 4), "white"), (0, 0))
    return img


def phone_exif(orientation: int = 1) -> Image.Exif:
    """What a phone writes: make, model, time, orientation and a GPS IFD."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "BudiPhone"
    exif[ExifTags.Base.Model] = "X1-SECRET-MODEL"
    exif[ExifTags.Base.DateTime] = "2026:01:02 03:04:05"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (6.0, 10.0, 31.2)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (106.0, 49.0, 38.4)
    return exif


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">XMP-SECRET</x:xmpmeta>'


def phone_jpeg(orientation: int = 1) -> bytes:
    return encode(
        photo(), "JPEG", exif=phone_exif(orientation), xmp=XMP, icc_profile=SRGB, quality=95
    )


def png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


@functools.cache
def bomb_png(side: int = 30_000) -> bytes:
    """A real side × side one-bit PNG: 900 megapixels in about 100 kB."""
    row = bytes(1 + (side + 7) // 8)
    deflate = zlib.compressobj(9)
    block = row * 1000
    idat = b"".join(deflate.compress(block) for _ in range(side // 1000)) + deflate.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def stored_image(result, settings) -> Image.Image:
    data = read_stored(store(result, settings).stored_name, settings)
    with Image.open(io.BytesIO(data)) as img:
        img.load()
    return img


# --- PDFs ---------------------------------------------------------------------

CATALOG = b"<< /Type /Catalog /Pages 2 0 R%s >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R%s >>"


def stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), entries, data)


CONTENT = stream(b"BT /F1 12 Tf 72 720 Td (Surat keterangan tidak mampu) Tj ET")


def _body(objects: list[bytes]) -> tuple[bytearray, list[int]]:
    """Header and numbered objects (1, 2, …); the offset of each object."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    return out, offsets


def assemble(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF with a classic cross-reference table and correct offsets."""
    out, offsets = _body(objects)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (len(objects) + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def pdf(catalog: bytes = b"", page: bytes = b"", extra: tuple[bytes, ...] = (), **kw) -> bytes:
    """Catalog 1, pages 2, page 3, content 4, then ``extra`` as 5, 6, …"""
    objects = [CATALOG % catalog, PAGES, PAGE % page, CONTENT, *extra]
    return assemble(objects, **kw)


def object_stream(objects: dict[int, bytes], filters: tuple[bytes, ...], entries=b"") -> bytes:
    """An object stream holding ``objects``, encoded with ``filters`` in order."""
    offsets, body = [], b""
    for number, obj in objects.items():
        offsets.append(b"%d %d" % (number, len(body)))
        body += obj + b"\n"
    index = b" ".join(offsets) + b"\n"
    data = index + body
    for name in reversed(filters):
        flate = name.replace(b"#61", b"a") == b"FlateDecode"
        data = zlib.compress(data) if flate else a85encode(data) + b"~>"
    names = b" ".join(b"/" + f for f in filters)
    head = b" /N %d /First %d /Filter [%s]%s" % (len(objects), len(index), names, entries)
    return stream(data, head)


def pdf_with_object_stream(
    hidden: bytes,
    filters: tuple[bytes, ...] = (b"FlateDecode",),
    entries: bytes = b" /Type /ObjStm",
    *,
    catalog: bytes = b" /Names 6 0 R",
    page: bytes = b"",
) -> bytes:
    """Catalog and pages in the body; object 6 inside object stream 5, with a
    cross-reference stream (a type 2 entry) so readers find it there."""
    objects = [CATALOG % catalog, PAGES, PAGE % page, CONTENT]
    objects.append(object_stream({6: hidden}, filters, entries))
    out, offsets = _body(objects)
    xref_at = len(out)
    rows = [struct.pack(">BIH", 0, 0, 0xFFFF)]
    rows += [struct.pack(">BIH", 1, offset, 0) for offset in offsets]
    rows += [struct.pack(">BIH", 2, 5, 0), struct.pack(">BIH", 1, xref_at, 0)]
    table = b"".join(rows)
    xref = stream(table, b" /Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R")
    out += b"7 0 obj\n%s\nendobj\nstartxref\n%d\n%%%%EOF\n" % (xref, xref_at)
    return bytes(out)


def rgba_png(width: int, height: int) -> bytes:
    """A real width × height RGBA PNG with a gradient in every row, written
    row by row so building it never holds the pixels: 40 MP in about 170 kB."""
    row = b"\x00" + bytes(i % 251 for i in range(width * 4))
    deflate = zlib.compressobj(9)
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )
