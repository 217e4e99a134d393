"""``portal.tickets.evidence`` on both backends: the behaviours the local
directory always had (durable random names, no traversal, the orphan sweep's
grace, thumbnails) hold on S3 too."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import time
from datetime import timedelta

import pytest
from PIL import Image

from portal.tickets import evidence
from portal.tickets.evidence import STORED_NAME, EvidenceNotFound, EvidenceSettings
from tests.tickets.evidence_files import encode, photo, upload


@pytest.fixture
def settings(backend, tmp_path) -> EvidenceSettings:
    return EvidenceSettings(upload_root=tmp_path / "evidence", storage=backend)


def _png(settings):
    return upload("a.png", encode(photo(), "PNG"), settings)


def test_store_read_delete(settings, backend):
    processed = _png(settings)
    first, second = evidence.store(processed, settings), evidence.store(processed, settings)
    assert first.stored_name != second.stored_name
    assert STORED_NAME.fullmatch(first.stored_name) and first.stored_name.endswith(".png")
    assert evidence.read_stored(first.stored_name, settings) == processed.data
    assert sorted(backend.names()) == sorted([first.stored_name, second.stored_name])
    assert evidence.delete_stored(first.stored_name, settings) is True
    assert evidence.delete_stored(first.stored_name, settings) is False
    with pytest.raises(EvidenceNotFound):
        evidence.read_stored(first.stored_name, settings)


@pytest.mark.parametrize("name", ["../x.png", "a" * 32 + ".png/..", "a" * 31 + ".exe", None])
def test_names_the_store_never_makes_reach_nothing(settings, name):
    evidence.store(_png(settings), settings)
    with pytest.raises(EvidenceNotFound):
        evidence.read_stored(name, settings)
    with pytest.raises(EvidenceNotFound):
        evidence.delete_stored(name, settings)
    assert evidence.touch_stored(name, settings) is False


def test_the_sweep_spares_referenced_and_young_files(settings, backend):
    """Old orphans go; a referenced file, a young file and a touched file
    stay. Ages come from the backend's own clock (S3 keeps whole seconds)."""
    referenced, orphan, renewed = (evidence.store(_png(settings), settings) for _ in range(3))
    _next_second()
    middle = dt.datetime.now(dt.UTC).replace(microsecond=0)
    _next_second()
    young = evidence.store(_png(settings), settings)
    assert evidence.touch_stored(renewed.stored_name, settings) is True
    asked = []

    def known(candidates):
        asked.append(sorted(candidates))
        return {referenced.stored_name}

    removed = evidence.sweep_orphans(
        known, settings, timedelta(hours=1), now=middle + timedelta(hours=1)
    )
    assert removed == [orphan.stored_name]
    assert asked == [sorted([referenced.stored_name, orphan.stored_name])]
    left = {referenced.stored_name, renewed.stored_name, young.stored_name}
    assert set(backend.names()) == left
    everything_old = dt.datetime.now(dt.UTC) + timedelta(hours=2)
    assert evidence.sweep_orphans(left, settings, timedelta(hours=1), now=everything_old) == []


def test_a_thumbnail_is_a_small_webp_beside_the_image(settings, backend):
    image = evidence.store(upload("a.jpg", encode(photo(), "JPEG"), settings), settings)
    thumb = evidence.store_thumbnail(image.stored_name, image.media_type, settings)
    assert thumb and thumb.endswith(".webp") and set(backend.names()) == {image.stored_name, thumb}
    with Image.open(io.BytesIO(evidence.read_stored(thumb, settings))) as img:
        assert img.format == "WEBP" and max(img.size) <= evidence.THUMB_SIDE
    gone = "Z" * 32 + ".jpg"
    assert evidence.store_thumbnail(gone, evidence.JPEG, settings) is None


def test_limits_keep_the_backend(settings):
    small = dataclasses.replace(settings, max_file_bytes=1000)
    assert small.storage is settings.storage


def _next_second() -> None:
    time.sleep(1.05 - (time.time() % 1))
