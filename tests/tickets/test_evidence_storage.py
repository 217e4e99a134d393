"""Storing evidence (UP6, RE2) in the local directory: random names under
the root, all or nothing, and sweeping orphans. tests/storage/ checks the
same behaviours on both backends; these look at the directory itself.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from datetime import timedelta
from pathlib import Path

import pytest

from portal.tickets.evidence import (
    STORED_NAME,
    EvidenceNotFound,
    delete_stored,
    read_stored,
    store,
    sweep_orphans,
)
from tests.tickets.evidence_files import (
    encode,
    pdf,
    photo,
    upload,
)


@pytest.fixture
def settings(local_settings):
    """Always the local directory, whatever ``PORTAL_TEST_EVIDENCE_STORAGE`` says."""
    return local_settings


# --- storage (UP6, RE2) -------------------------------------------------------


def test_traversal_name_lands_under_root_with_a_random_name(settings, tmp_path):
    result = upload("../../x.py%00.jpg", encode(photo(), "JPEG"), settings)
    stored = store(result, settings)

    root = settings.upload_root.resolve()
    path = root / stored.stored_name
    assert path.is_file() and not path.is_symlink()
    assert STORED_NAME.fullmatch(stored.stored_name)
    assert stored.stored_name.endswith(".jpg") and "x.py" not in stored.stored_name
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [stored.stored_name]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_stored_file_record_matches_the_bytes(settings):
    result = upload("surat.pdf", pdf(), settings)
    stored = store(result, settings)
    written = read_stored(stored.stored_name, settings)

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


@pytest.mark.parametrize("step", ["write", "fsync", "link"])
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
def test_read_stored_refuses_names_store_never_makes(name, settings):
    settings.upload_root.mkdir()
    with pytest.raises(EvidenceNotFound):
        read_stored(name, settings)


def test_read_stored_refuses_missing_files_and_symlinks(settings, tmp_path):
    settings.upload_root.mkdir()
    with pytest.raises(EvidenceNotFound):
        read_stored("a" * 32 + ".jpg", settings)
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    (settings.upload_root / ("b" * 32 + ".pdf")).symlink_to(secret)
    with pytest.raises(EvidenceNotFound):
        read_stored("b" * 32 + ".pdf", settings)


def test_delete_stored(settings):
    stored = store(upload("a.jpg", encode(photo(), "JPEG"), settings), settings)
    assert delete_stored(stored.stored_name, settings) is True
    assert delete_stored(stored.stored_name, settings) is False
    with pytest.raises(EvidenceNotFound):
        read_stored(stored.stored_name, settings)


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
