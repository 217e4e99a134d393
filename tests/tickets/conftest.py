"""Fixtures for the ticket tests."""

from __future__ import annotations

import pytest

from portal.tickets.evidence import EvidenceSettings
from tests.storage import switch


@pytest.fixture
def settings(tmp_path, monkeypatch) -> EvidenceSettings:
    """An evidence store in the test's own folder, or under a prefix of its
    own on S3 when ``PORTAL_TEST_EVIDENCE_STORAGE=s3`` (tests.storage.switch)."""
    return EvidenceSettings(
        upload_root=tmp_path / "evidence", storage=switch.test_backend(tmp_path, monkeypatch)
    )


@pytest.fixture
def local_settings(tmp_path) -> EvidenceSettings:
    """For tests of the directory itself (modes, symlinks, temporary files)."""
    return EvidenceSettings(upload_root=tmp_path / "evidence")
