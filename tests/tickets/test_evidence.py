"""Evidence uploads: type by content (UP2), clean images (UP3), bombs (UP4),
configuration.

Every fixture file is built in code (tests/tickets/evidence_files.py).
"""

from __future__ import annotations

import dataclasses
import time

import pytest
from flask import Flask
from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo

from portal.tickets import evidence
from portal.tickets.evidence import (
    EvidenceError,
    EvidenceSettings,
    process_upload,
    sniff,
    store,
)
from tests.tickets.evidence_files import (
    LAT,
    LON,
    SRGB,
    bomb_png,
    encode,
    pdf,
    phone_exif,
    phone_jpeg,
    photo,
    refused,
    stored_image,
    upload,
)

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
    assert list(settings.storage.names()) == []


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
    small = dataclasses.replace(settings, max_file_bytes=1000)
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
    small = dataclasses.replace(settings, image_max_side=100)
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
    tiny = dataclasses.replace(settings, max_image_pixels=1000)
    before = Image.MAX_IMAGE_PIXELS
    assert refused("a.png", encode(photo((40, 40)), "PNG"), tiny) == "too_many_pixels"
    assert before == Image.MAX_IMAGE_PIXELS
    assert upload("a.png", encode(photo((30, 30)), "PNG"), tiny)


def test_jpeg_with_thousands_of_scans_is_refused(settings):
    comment = b"\xff\xda" * 200
    assert refused("a.jpg", encode(photo(), "JPEG", comment=comment), settings) == "corrupt"


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
        assert (tmp_path / "instance" / "evidence" / stored.stored_name).is_file()


def test_doc_type_is_checked(settings):
    with pytest.raises(ValueError, match="doc_type"):
        process_upload("a.jpg", b"x", doc_type="../ktp", keep_gps=False, settings=settings)


def test_re_encoded_image_larger_than_the_limit_is_refused(settings):
    """A grainy photo saved at JPEG quality 5 is small; re-encoded at quality
    85 it is several times larger. The stored file must obey the limit too."""
    noise = Image.effect_noise((600, 600), 100).convert("RGB")
    data = encode(noise, "JPEG", quality=5)
    cleaned = upload("a.jpg", data, settings).data
    limit = (len(data) + len(cleaned)) // 2
    assert len(data) < limit < len(cleaned)
    small = dataclasses.replace(settings, max_file_bytes=limit)
    assert refused("a.jpg", data, small) == "too_large"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("C:\\Users\\budi\\KTP ibu.jpg", "KTP ibu.jpg"),
        ("../../etc/passwd.png", "passwd.png"),
        ("rumah\u202egpj.exe.png", "rumahgpj.exe.png"),
        ("a\x00b\x1bc.jpg", "abc.jpg"),
        ("x" * 100 + ".jpg", "x" * 59 + "…"),
    ],
)
def test_display_names_are_the_last_part_without_controls(name, shown):
    assert evidence.display_name(name) == shown


def test_a_draft_holds_at_most_its_bytes(settings):
    small = dataclasses.replace(settings, max_bytes_per_draft=1000)
    evidence.check_draft_bytes(600, 400, small)
    with pytest.raises(EvidenceError) as info:
        evidence.check_draft_bytes(600, 401, small)
    assert info.value.code == "draft_full"
