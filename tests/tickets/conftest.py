"""Fixtures for the ticket tests."""

from __future__ import annotations

import pytest

from portal.tickets.evidence import EvidenceSettings


@pytest.fixture
def settings(tmp_path) -> EvidenceSettings:
    """An evidence store in the test's own folder."""
    return EvidenceSettings(upload_root=tmp_path / "evidence")
