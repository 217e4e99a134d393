"""Both evidence backends, for the tests in this folder: every test taking
``backend`` runs once on a local directory and once on SeaweedFS (a real
S3-compatible server, ``tests.storage.seaweed``)."""

from __future__ import annotations

import pytest

from portal.storage.local import LocalStorage
from tests.storage import switch


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path, monkeypatch):
    if request.param == "local":
        return LocalStorage(tmp_path / "evidence")
    from portal.storage.s3 import S3Storage

    return S3Storage.from_url(switch.s3_url(monkeypatch))


@pytest.fixture
def s3_server(monkeypatch):
    """The shared server, its credentials in the environment."""
    switch.s3_url(monkeypatch)
    from tests.storage import seaweed

    return seaweed.shared()
