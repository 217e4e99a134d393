"""Evidence uploads: type by content, clean images, bombs, hostile PDFs, storage
(SECURITY.md UP2–UP6, RE2).

Every fixture file is built here; none is committed. The PDFs are small but
well formed (cross-reference tables and streams with correct offsets), so
they are what a reader would open, not strings that merely contain a keyword.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import stat
import struct
import time
import zlib
from base64 import a85encode
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from portal.tickets import evidence
from portal.tickets.evidence import (
    STORED_NAME,
    EvidenceError,
    EvidenceNotFound,
    EvidenceSettings,
    delete_stored,
    open_stored,
    process_upload,
    sniff,
    store,
    sweep_orphans,
)

# Jakarta, Monas: 6°10'31.2" S, 106°49'38.4" E.
LAT, LON = -(6 + 10 / 60 + 31.2 / 3600), 106 + 49 / 60 + 38.4 / 3600
MIB = 1024 * 1024


@pytest.fixture
def settings(tmp_path) -> EvidenceSettings:
    return EvidenceSettings(upload_root=tmp_path / "evidence")


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
    path = open_stored(store(result, settings).stored_name, settings)
    with Image.open(path) as img:
        img.load()
    return img


# --- sniffing and extensions (UP2) --------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"", None),
        (b"<!DOCTYPE html><script>alert(1)</script>", None),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', None),
        (b"<svg onload=alert(1)>", None),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", None),
        (b"PK\x03\x04\x14\x00\x00\x00", None),
        (b"GIF89a\x01\x00\x01\x00", None),
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", None),
        (b"\x00\x00\x00\x18ftypheic", None),
        (b" %PDF-1.7\n", None),
    ],
)
def test_sniff_by_magic_bytes_only(data, expected):
    assert sniff(data) == expected


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("foto.jpg", b"<!DOCTYPE html><html><script>alert(document.cookie)</script>"),
        ("foto.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("gambar.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("scan.pdf", b"MZ\x90\x00" + bytes(60) + b"This program cannot be run in DOS mode"),
        ("ktp.png", b"PK\x03\x04" + bytes(26)),
    ],
)
def test_non_evidence_types_are_refused(name, data, settings):
    assert refused(name, data, settings) == "unsupported_type"
    assert not settings.upload_root.exists()


def test_empty_file_is_refused(settings):
    assert refused("ktp.jpg", b"", settings) == "empty"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_images_are_refused(fmt, keep, settings):
    data = encode(photo((400, 300)), fmt)
    name = {"JPEG": "a.jpg", "PNG": "a.png", "WEBP": "a.webp"}[fmt]
    assert refused(name, data[: int(len(data) * keep)], settings) == "corrupt"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_images_are_refused_even_when_another_library_allows_them(
    fmt, settings, monkeypatch
):
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # as WeasyPrint does
    data = encode(photo((400, 300)), fmt)
    assert refused(f"a.{fmt.lower()}", data[: len(data) // 2], settings) == "corrupt"


def test_png_with_a_broken_checksum_is_refused(settings):
    data = bytearray(encode(photo((400, 300)), "PNG"))
    data[len(data) // 2] ^= 0xFF
    assert refused("a.png", bytes(data), settings) == "corrupt"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("ktp.jpg", "PNG"), ("ktp.png", "JPEG"), ("ktp.webp", "JPEG"), ("ktp", "JPEG")],
)
def test_extension_must_agree_with_content(name, fmt, settings):
    assert refused(name, encode(photo(), fmt), settings) == "extension_mismatch"


def test_pdf_named_jpg_is_refused(settings):
    assert refused("ktp.jpg", pdf(), settings) == "extension_mismatch"


@pytest.mark.parametrize("name", ["KTP.JPG", "ktp.Jpeg", "C:\\Users\\budi\\ktp.jpeg"])
def test_extension_case_and_windows_paths(name, settings):
    assert upload(name, encode(photo(), "JPEG"), settings).media_type == "image/jpeg"


def test_too_large_is_refused_before_decoding(settings):
    small = EvidenceSettings(upload_root=settings.upload_root, max_file_bytes=1000)
    assert refused("a.png", bomb_png(), small) == "too_large"


def test_file_count_per_ticket(settings):
    evidence.check_file_count(4, 1, settings)
    with pytest.raises(EvidenceError) as info:
        evidence.check_file_count(5, 1, settings)
    assert info.value.code == "too_many"
    assert info.value.params == {"max_files": 5}


# --- re-encoding and metadata (UP3) -------------------------------------------


def test_stored_jpeg_has_no_metadata_at_all(settings):
    original = phone_jpeg()
    assert b"BudiPhone" in original and b"XMP-SECRET" in original

    result = upload("IMG_20260102.jpg", original, settings)
    img = stored_image(result, settings)

    assert img.format == "JPEG"
    assert not img.getexif()
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(img.info)
    assert b"Exif\x00\x00" not in result.data
    for secret in (b"BudiPhone", b"X1-SECRET", b"XMP-SECRET", b"2026:01:02", b"ns.adobe.com"):
        assert secret not in result.data
    assert result.gps_lat is None and result.gps_lon is None


def test_gps_is_kept_apart_only_with_consent(settings):
    result = upload("ktp.jpg", phone_jpeg(), settings, keep_gps=True)

    assert result.gps_lat == pytest.approx(LAT, abs=1e-6)
    assert result.gps_lon == pytest.approx(LON, abs=1e-6)
    assert not stored_image(result, settings).getexif()
    stored = store(result, settings)
    assert stored.gps == (result.gps_lat, result.gps_lon)


@pytest.mark.parametrize(
    ("lat_ref", "lat"),
    [
        (None, (6.0, 10.0, 0.0)),
        ("X", (6.0, 10.0, 0.0)),
        ("E", (6.0, 10.0, 0.0)),
        ("N", (0.0, 0.0, 0.0)),
        ("N", (1.0, 0.0)),
    ],
)
def test_gps_without_a_usable_position_is_none(lat_ref, lat, settings):
    exif = Image.Exif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if lat_ref:
        gps[ExifTags.GPS.GPSLatitudeRef] = lat_ref
    gps[ExifTags.GPS.GPSLatitude] = lat
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 0.0, 0.0) if lat_ref == "N" else (106.0, 0.0, 0.0)
    result = upload("a.jpg", encode(photo(), "JPEG", exif=exif), settings, keep_gps=True)
    assert (result.gps_lat, result.gps_lon) == (None, None)


def test_orientation_is_applied_before_exif_is_dropped(settings):
    result = upload("a.jpg", phone_jpeg(orientation=6), settings)
    assert stored_image(result, settings).size == (48, 64)


def test_large_photos_are_scaled_down(settings):
    small = EvidenceSettings(upload_root=settings.upload_root, image_max_side=100)
    result = upload("a.jpg", encode(photo((640, 480)), "JPEG"), small)
    assert stored_image(result, small).size == (100, 75)


def test_png_text_and_icc_profile_are_dropped(settings):
    info = PngInfo()
    info.add_text("Author", "Budi Santoso")
    info.add_text("Comment", "NIK-SECRET")
    original = encode(photo(mode="RGBA"), "PNG", pnginfo=info, icc_profile=SRGB)

    result = upload("layar.png", original, settings)
    img = stored_image(result, settings)

    assert img.format == "PNG" and img.mode == "RGBA"
    assert not {"Author", "Comment", "icc_profile", "exif"} & set(img.info)
    assert b"NIK-SECRET" not in result.data and b"iCCP" not in result.data


def test_sixteen_bit_png_keeps_its_contrast(settings):
    wide = Image.linear_gradient("L").resize((64, 48)).convert("I").point(lambda v: v * 257)
    result = upload("scan.png", encode(wide.convert("I;16"), "PNG"), settings)
    img = stored_image(result, settings)
    assert img.mode == "L"
    low, high = img.getextrema()
    assert low < 10 and high > 245


def test_cmyk_jpeg_becomes_rgb(settings):
    result = upload("scan.jpg", encode(photo().convert("CMYK"), "JPEG"), settings)
    assert stored_image(result, settings).mode == "RGB"


def test_palette_png_with_transparency_keeps_its_alpha(settings):
    img = photo().convert("P")
    result = upload("a.png", encode(img, "PNG", transparency=0), settings)
    assert stored_image(result, settings).mode == "RGBA"


def test_webp_round_trip_without_exif(settings):
    original = encode(photo(), "WEBP", exif=phone_exif(), quality=90)
    assert b"BudiPhone" in original

    result = upload("foto.webp", original, settings, keep_gps=True)
    img = stored_image(result, settings)

    assert result.media_type == "image/webp"
    assert img.format == "WEBP" and img.size == (64, 48)
    assert not img.getexif() and "exif" not in img.info
    assert b"BudiPhone" not in result.data
    assert result.gps_lat == pytest.approx(LAT, abs=1e-6)


# --- bombs (UP4) --------------------------------------------------------------


def test_decompression_bomb_is_refused_fast(settings):
    data = bomb_png()
    assert len(data) < settings.max_file_bytes

    started = time.perf_counter()
    code = refused("bom.png", data, settings)
    elapsed = time.perf_counter() - started

    assert code == "too_many_pixels"
    assert elapsed < 1.0


def test_pixel_limit_is_our_own_not_pillows_global(settings):
    tiny = EvidenceSettings(upload_root=settings.upload_root, max_image_pixels=1000)
    before = Image.MAX_IMAGE_PIXELS
    assert refused("a.png", encode(photo((40, 40)), "PNG"), tiny) == "too_many_pixels"
    assert before == Image.MAX_IMAGE_PIXELS
    assert upload("a.png", encode(photo((30, 30)), "PNG"), tiny)


def test_jpeg_with_thousands_of_scans_is_refused(settings):
    comment = b"\xff\xda" * 200
    assert refused("a.jpg", encode(photo(), "JPEG", comment=comment), settings) == "corrupt"


# --- PDFs (UP5) ---------------------------------------------------------------

CATALOG = b"<< /Type /Catalog /Pages 2 0 R%s >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R%s >>"


def stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), entries, data)


CONTENT = stream(b"BT /F1 12 Tf 72 720 Td (Surat keterangan tidak mampu) Tj ET")


def assemble(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF with a classic cross-reference table and correct offsets."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
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
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    rows = [struct.pack(">BIH", 0, 0, 0xFFFF)]
    rows += [struct.pack(">BIH", 1, offset, 0) for offset in offsets]
    rows += [struct.pack(">BIH", 2, 5, 0), struct.pack(">BIH", 1, xref_at, 0)]
    table = b"".join(rows)
    xref = stream(table, b" /Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R")
    out += b"7 0 obj\n%s\nendobj\nstartxref\n%d\n%%%%EOF\n" % (xref, xref_at)
    return bytes(out)


JS_ACTION = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
JS_NAMES = b"<< /JavaScript << /Names [(a) << /S /JavaScript /JS (app.alert(1)) >>] >> >>"
ENCRYPT = b"<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <%s> /U <%s> >>" % (
    b"00" * 32,
    b"00" * 32,
)

HOSTILE_PDFS = {
    "open_action_goto": pdf(b" /OpenAction [3 0 R /Fit]"),
    "open_action_js": pdf(b" /OpenAction 5 0 R", extra=(JS_ACTION,)),
    "document_javascript": pdf(b" /Names 5 0 R", extra=(JS_NAMES,)),
    "page_additional_actions": pdf(page=b" /AA << /O << /S /Named /N /NextPage >> >>"),
    "launch": pdf(
        page=b" /Annots [5 0 R]",
        extra=(
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 99 99] /A << /S /Launch "
            b"/Win << /F (cmd.exe) /P (/c calc) >> >> >>",
        ),
    ),
    "embedded_files": pdf(
        b" /Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",
        extra=(
            b"<< /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >>",
            stream(b"MZ\x90\x00", b" /Type /EmbeddedFile"),
        ),
    ),
    "embedded_file_without_type": pdf(
        page=b" /Annots [5 0 R]",
        extra=(
            b"<< /Type /Annot /Subtype /Text /Rect [0 0 9 9] /FS << /E#46 << /F 6 0 R >> >> >>",
            stream(b"MZ\x90\x00"),
        ),
    ),
    "xfa": pdf(b" /AcroForm << /Fields [] /XFA 5 0 R >>", extra=(stream(b"<xdp:xdp/>"),)),
    "rich_media": pdf(page=b" /Annots [<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] >>]"),
    "hex_escaped_names": pdf(page=b" /A#41 << /O << /S /J#61vaScript /#4A#53 (app.alert(1)) >> >>"),
    "hex_escaped_open_action": pdf(b" /Op#65nAct#69on [3 0 R /Fit]"),
    "javascript_in_flate_object_stream": pdf_with_object_stream(JS_NAMES),
    "javascript_in_a85_flate_object_stream": pdf_with_object_stream(
        JS_NAMES, filters=(b"ASCII85Decode", b"FlateDecode")
    ),
    "object_stream_without_type": pdf_with_object_stream(JS_NAMES, entries=b""),
    "escaped_filter_name": pdf_with_object_stream(JS_NAMES, filters=(b"Fl#61teDecode",)),
    "aa_in_object_stream": pdf_with_object_stream(
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9]"
        b" /AA << /E << /S /Named /N /NextPage >> >> >>",
        catalog=b"",
        page=b" /Annots [6 0 R]",
    ),
    # A reader skips non-hex bytes in a hex string; taking "(" there for the
    # start of a literal string would hide the /AA that follows.
    "hex_string_desync": pdf(page=b" /X <(> /AA << /O << /S /Named /N /NextPage >> >> /Y <)>"),
    # "stream" not after a dictionary is a keyword, not the start of data.
    "stream_keyword_desync": pdf(page=b" /X stream\n/AA << /O << /S /Named /N /NextPage >> >>"),
    # A ">>" inside an array closes nothing, so no stream starts after it.
    "stray_dict_close_desync": pdf(
        page=b" /Annots [ >> stream\n<< /Type /Annot /Subtype /Link /Rect [0 0 9 9]"
        b" /AA << /E << /S /Named /N /NextPage >> >> >> ]"
    ),
    # Long names are found even inside stream data, as a second net.
    "launch_inside_stream_data": pdf(extra=(stream(b"\x00\x01<< /S /Launch /F (x.exe) >>"),)),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_PDFS))
def test_active_pdfs_are_refused(name, settings):
    assert refused("surat.pdf", HOSTILE_PDFS[name], settings) == "pdf_active_content"


def test_encrypted_pdf_is_refused(settings):
    data = pdf(extra=(ENCRYPT,), trailer=b" /Encrypt 5 0 R /ID [<00ff> <00ff>]")
    assert refused("surat.pdf", data, settings) == "pdf_encrypted"


@pytest.mark.parametrize(
    "data",
    [
        pdf_with_object_stream(JS_NAMES, filters=(b"LZWDecode",)),
        pdf_with_object_stream(
            b"<< >>", entries=b" /Type /ObjStm /DecodeParms << /Predictor 12 >>"
        ),
        pdf_with_object_stream(b"<< >>", entries=b" /Type /ObjStm /DecodeParms 9 0 R"),
        # An object header inside stream data: the xref table can point a
        # reader there while a scanner takes it for image bytes.
        pdf(extra=(stream(b"\x89binary 9 0 obj << /AA << /O 3 0 R >> >> endobj\xff"),)),
    ],
    ids=[
        "lzw_object_stream",
        "predictor_object_stream",
        "indirect_decode_parms",
        "object_header_in_stream",
    ],
)
def test_uninspectable_pdfs_are_refused(data, settings):
    assert refused("surat.pdf", data, settings) == "pdf_uninspectable"


def test_object_stream_zip_bomb_is_refused_within_budget(settings):
    small = EvidenceSettings(upload_root=settings.upload_root, pdf_max_decoded_bytes=MIB)
    data = pdf_with_object_stream(b"<< /X (" + bytes(4 * MIB) + b") >>")
    assert len(data) < 20_000
    assert refused("surat.pdf", data, small) == "pdf_uninspectable"


@pytest.mark.parametrize(
    "data",
    [
        pdf(),
        # Compressed image bytes spell "/JS(" and "/AA<<" by chance; not names.
        pdf(
            page=b" /Resources << /XObject << /Im1 5 0 R >> >>",
            extra=(stream(b"\xff\xd8/JS(\x00/AA<<\x10/XFA[\xff\xd9", b" /Subtype /Image"),),
        ),
        pdf(b" /Info (see /JS and /AA in the manual)"),
        pdf(b" /JSON /JSX /AAA /EFX"),
        pdf(b" /URI (https://example.org/a.pdf)"),
        pdf_with_object_stream(b"<< /Type /Outlines /Count 0 >>"),
        pdf_with_object_stream(
            b"<< /Type /Outlines /Count 0 >>", filters=(b"ASCII85Decode", b"FlateDecode")
        ),
    ],
    ids=[
        "minimal",
        "binary_image_stream",
        "names_in_a_string",
        "similar_names",
        "link",
        "object_stream",
        "a85_object_stream",
    ],
)
def test_plain_pdfs_are_stored_as_sent(data, settings):
    result = upload("surat.pdf", data, settings)
    assert result.media_type == "application/pdf"
    assert result.data == data


def test_pdf_without_end_marker_is_refused(settings):
    data = pdf().replace(b"%%EOF", b"")
    assert refused("surat.pdf", data, settings) == "corrupt"


def test_pdf_not_at_offset_zero_is_refused(settings):
    assert refused("surat.pdf", b"<html>" + pdf(), settings) == "unsupported_type"


# --- storage (UP6, RE2) -------------------------------------------------------


def test_traversal_name_lands_under_root_with_a_random_name(settings, tmp_path):
    result = upload("../../x.py%00.jpg", encode(photo(), "JPEG"), settings)
    stored = store(result, settings)

    root = settings.upload_root.resolve()
    path = open_stored(stored.stored_name, settings)
    assert path.parent == root
    assert STORED_NAME.fullmatch(stored.stored_name)
    assert stored.stored_name.endswith(".jpg") and "x.py" not in stored.stored_name
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [stored.stored_name]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_stored_file_record_matches_the_bytes(settings):
    result = upload("surat.pdf", pdf(), settings)
    stored = store(result, settings)
    written = open_stored(stored.stored_name, settings).read_bytes()

    assert written == result.data
    assert stored.sha256 == hashlib.sha256(written).hexdigest()
    assert stored.size == len(written)
    assert (stored.media_type, stored.doc_type, stored.gps) == ("application/pdf", "ktp", None)


def test_names_are_unique_and_extension_follows_type(settings):
    jpeg = upload("a.jpeg", encode(photo(), "JPEG"), settings)
    names = {store(jpeg, settings).stored_name for _ in range(20)}
    assert len(names) == 20
    assert all(n.endswith(".jpg") and not n.startswith("-") for n in names)
    assert store(
        upload("a.webp", encode(photo(), "WEBP"), settings), settings
    ).stored_name.endswith(".webp")


@pytest.mark.parametrize("step", ["write", "fsync", "rename"])
def test_failure_at_any_step_leaves_no_file(step, settings, monkeypatch):
    result = upload("a.png", encode(photo(), "PNG"), settings)

    def fail(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, step, fail)
    with pytest.raises(OSError, match="disk full"):
        store(result, settings)
    monkeypatch.undo()
    assert list(settings.upload_root.iterdir()) == []


@pytest.mark.parametrize(
    "name",
    [
        "../evidence/x.jpg",
        "/etc/passwd",
        "a" * 32 + ".exe",
        "a" * 32 + ".jpg/",
        "a" * 32 + ".jpg\n",
        "-" + "a" * 31 + ".jpg",
        "..",
        "",
    ],
)
def test_open_stored_refuses_names_store_never_makes(name, settings):
    settings.upload_root.mkdir()
    with pytest.raises(EvidenceNotFound):
        open_stored(name, settings)


def test_open_stored_refuses_missing_files_and_symlinks(settings, tmp_path):
    settings.upload_root.mkdir()
    with pytest.raises(EvidenceNotFound):
        open_stored("a" * 32 + ".jpg", settings)
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    (settings.upload_root / ("b" * 32 + ".pdf")).symlink_to(secret)
    with pytest.raises(EvidenceNotFound):
        open_stored("b" * 32 + ".pdf", settings)


def test_delete_stored(settings):
    stored = store(upload("a.jpg", encode(photo(), "JPEG"), settings), settings)
    assert delete_stored(stored.stored_name, settings) is True
    assert delete_stored(stored.stored_name, settings) is False
    with pytest.raises(EvidenceNotFound):
        open_stored(stored.stored_name, settings)


# --- sweeping orphans (RE2) ---------------------------------------------------


def age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_sweeper_removes_old_orphans_and_temp_files_only(settings):
    made = [store(upload("a.png", encode(photo(), "PNG"), settings), settings) for _ in range(3)]
    referenced, orphan, fresh_orphan = (settings.upload_root / s.stored_name for s in made)
    old_temp = settings.upload_root / ".tmp-AAAAAAAAAAAAAAAAAAAAAA"
    fresh_temp = settings.upload_root / ".tmp-BBBBBBBBBBBBBBBBBBBBBB"
    stranger = settings.upload_root / "README"
    for path in (old_temp, fresh_temp, stranger):
        path.write_bytes(b"x")
    for path in (referenced, orphan, old_temp, stranger):
        age(path, 5)

    removed = sweep_orphans({referenced.name}, settings, timedelta(hours=1))

    assert removed == sorted([orphan.name, old_temp.name])
    remaining = {p.name for p in settings.upload_root.iterdir()}
    assert remaining == {referenced.name, fresh_orphan.name, fresh_temp.name, stranger.name}


def test_sweeper_asks_about_old_candidates_after_listing(settings):
    stored = store(upload("a.png", encode(photo(), "PNG"), settings), settings)
    age(settings.upload_root / stored.stored_name, 2)
    asked = []

    def known(candidates: list[str]) -> set[str]:
        asked.extend(candidates)
        return set(candidates)

    assert sweep_orphans(known, settings, timedelta(hours=1)) == []
    assert asked == [stored.stored_name]


def test_sweeper_without_a_store_does_nothing(settings):
    assert sweep_orphans(set(), settings, timedelta(hours=1)) == []


# --- configuration ------------------------------------------------------------


def test_settings_from_config_and_the_flask_app(tmp_path):
    cfg = EvidenceSettings.from_config({"MAX_FILE_BYTES": 1234}, tmp_path)
    assert cfg.upload_root == tmp_path / "evidence"
    assert (cfg.max_file_bytes, cfg.max_files_per_ticket) == (1234, 5)
    with pytest.raises(ValueError, match="UPLOAD_ROOT"):
        EvidenceSettings.from_config({})

    app = Flask(__name__, instance_path=str(tmp_path / "instance"))
    with app.app_context():
        result = process_upload("a.jpg", encode(photo(), "JPEG"), doc_type="ktp", keep_gps=False)
        stored = store(result)
        assert open_stored(stored.stored_name).parent == (tmp_path / "instance" / "evidence")


def test_doc_type_is_checked(settings):
    with pytest.raises(ValueError, match="doc_type"):
        process_upload("a.jpg", b"x", doc_type="../ktp", keep_gps=False, settings=settings)
