"""The evidence quality check (``portal.tickets.quality``) on generated
photos whose verdict is known by construction (``quality_photos``): good
documents and house scenes pass; darkened, washed-out, blurred, turned and
shrunk copies are flagged for what was done to them; a photo turned by its
EXIF orientation is judged upright; PDFs are not checked."""

from __future__ import annotations

import random

import pytest
from PIL import ExifTags, Image

from portal.config import Config
from portal.tickets import quality
from portal.tickets.evidence import EvidenceSettings, process_upload
from portal.web.public.submit import HOUSE_PHOTOS
from tests.tickets import quality_photos as photos
from tests.tickets.evidence_files import pdf

LIMITS = quality.Thresholds.from_config({"EVIDENCE_QUALITY": Config.EVIDENCE_QUALITY})
SEEDS = (1, 2)
#: Smaller than the tuning set's photos, for speed; still over ``small_side``.
DOC_SIZE = {"page": (720, 1000), "card": (1000, 640)}
HOUSE_SIZE = (960, 720)


def _document(seed: int, shape: str) -> Image.Image:
    return photos.document(random.Random(f"doc-{seed}-{shape}"), DOC_SIZE[shape])


def _house(seed: int) -> Image.Image:
    return photos.house(random.Random(f"house-{seed}"), HOUSE_SIZE)


def _verdict(img: Image.Image, document: bool) -> tuple[str, ...]:
    """As the upload runs it: JPEG at quality 85, then ``check_bytes``."""
    return quality.check_bytes(photos.jpeg(img), "JPEG", document=document, limits=LIMITS)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", ["page", "card"])
def test_good_documents_pass_and_each_fault_is_flagged_for_itself(seed, shape):
    good = _document(seed, shape)
    assert _verdict(good, True) == ()
    rng = random.Random(seed)
    assert _verdict(photos.darkened(good, rng), True) == ("dark",)
    assert _verdict(photos.brightened(good, rng), True) == ("bright",)
    assert _verdict(photos.blurred(good, rng), True) == ("blurred",)
    assert _verdict(photos.rotated(good, rng), True) == ("sideways",)
    assert _verdict(photos.shrunk(good, rng), True) == ("small",)


@pytest.mark.parametrize("seed", SEEDS)
def test_good_house_photos_pass_and_are_not_judged_as_documents(seed):
    good = _house(seed)
    rng = random.Random(seed)
    assert _verdict(good, False) == ()
    assert _verdict(photos.darkened(good, rng), False) == ("dark",)
    assert _verdict(photos.brightened(good, rng), False) == ("bright",)
    assert _verdict(photos.blurred(good, rng), False) == ("blurred",)
    # A house photo is never "sideways" or "small": it holds no writing.
    assert _verdict(photos.rotated(good, rng), False) == ()
    assert _verdict(photos.shrunk(good, rng), False) == ()


def test_the_thresholds_sit_between_good_and_bad_measures():
    """Hand-read bounds: a flat mid-grey page is blurred (no edges at all),
    a black one dark, a white one bright; a white page with black text
    (a screenshot) is not bright, since its ink is black."""
    flat = Image.new("L", (800, 800), 128)
    assert "blurred" in quality.check(flat, document=False, limits=LIMITS)
    assert quality.check(Image.new("L", (800, 800), 10), document=False, limits=LIMITS)[0] == "dark"
    white = Image.new("L", (800, 800), 250)
    assert quality.check(white, document=False, limits=LIMITS)[0] == "bright"
    screenshot = photos.document(random.Random("shot"), (800, 1000)).point(
        lambda v: 255 if v > 120 else 0
    )
    assert "bright" not in quality.check(screenshot, document=True, limits=LIMITS)


def test_small_is_the_shorter_side_against_the_threshold():
    side = LIMITS.small_side
    page = _document(1, "page")
    just_under = page.resize((side - 1, round((side - 1) * page.height / page.width)))
    just_at = page.resize((side, round(side * page.height / page.width)))
    assert "small" in _verdict(just_under, True)
    assert "small" not in _verdict(just_at, True)


# --- through the upload -------------------------------------------------------------


@pytest.fixture
def settings(tmp_path):
    return EvidenceSettings(upload_root=tmp_path)


def _sideways_with_tag(img: Image.Image, orientation: int | None) -> bytes:
    """The pixels turned a quarter (as a phone held sideways stores them),
    with the EXIF tag that turns them back (6: rotate clockwise to show)."""
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    return photos.jpeg(img.transpose(Image.Transpose.ROTATE_90), exif=exif)


def test_a_photo_upright_after_its_exif_orientation_is_not_sideways(settings):
    page = _document(1, "page")
    tagged = process_upload(
        "kk.jpg", _sideways_with_tag(page, 6), doc_type="kk", keep_gps=False, settings=settings
    )
    assert tagged.quality == ()
    with Image.open(__import__("io").BytesIO(tagged.data)) as stored:
        assert stored.size == page.size  # stored upright, the tag applied
    untagged = process_upload(
        "kk.jpg", _sideways_with_tag(page, None), doc_type="kk", keep_gps=False, settings=settings
    )
    assert untagged.quality == ("sideways",)


def test_the_upload_judges_house_photos_as_scenes(settings):
    turned = photos.jpeg(photos.rotated(_document(2, "page"), random.Random(0)))
    as_house = process_upload(
        "a.jpg", turned, doc_type="house_front", keep_gps=False, settings=settings
    )
    as_letter = process_upload(
        "a.jpg", turned, doc_type="village_letter", keep_gps=False, settings=settings
    )
    assert (as_house.quality, as_letter.quality) == ((), ("sideways",))


def test_pdfs_are_not_checked(settings):
    processed = process_upload("a.pdf", pdf(), doc_type="kk", keep_gps=False, settings=settings)
    assert processed.quality == ()


def test_the_check_can_be_turned_off(tmp_path):
    off = EvidenceSettings.from_config({"UPLOAD_ROOT": tmp_path, "EVIDENCE_QUALITY_CHECK": False})
    dark = photos.jpeg(Image.new("RGB", (800, 800), (5, 5, 5)))
    processed = process_upload("a.jpg", dark, doc_type="kk", keep_gps=False, settings=off)
    assert processed.quality == ()


def test_a_failing_check_keeps_the_file(settings, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("decoder gone")

    monkeypatch.setattr("portal.tickets.evidence.check_bytes", broken)
    processed = process_upload(
        "a.jpg", photos.jpeg(_house(1)), doc_type="kk", keep_gps=False, settings=settings
    )
    assert processed.data and processed.quality == ()


# --- configuration ----------------------------------------------------------------


def test_the_configuration_names_every_threshold_and_nothing_else():
    names = {f for f in quality.Thresholds.__dataclass_fields__}
    assert set(Config.EVIDENCE_QUALITY) == names
    with pytest.raises(ValueError, match="dark_men"):
        quality.Thresholds.from_config({"EVIDENCE_QUALITY": {"dark_men": 1}})


def test_scenes_are_the_house_photos():
    assert set(HOUSE_PHOTOS) == quality.SCENES
