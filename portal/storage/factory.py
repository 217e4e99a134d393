"""Pick the backend from the configuration (``EVIDENCE_STORAGE_URL``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from portal.storage import EvidenceStorage
from portal.storage.local import LocalStorage


def storage_key(config: Mapping[str, Any], instance_path: str) -> tuple[str, str]:
    """What decides the backend: ``storage()`` makes a new one when it changes."""
    return (
        config.get("EVIDENCE_STORAGE_URL") or "",
        str(config.get("UPLOAD_ROOT") or instance_path),
    )


def make_storage(config: Mapping[str, Any], instance_path: str) -> EvidenceStorage:
    """``s3://bucket/prefix?endpoint=…`` → S3 (issue 14 §3); unset → the local directory."""
    url = config.get("EVIDENCE_STORAGE_URL")
    if url:
        from portal.storage.s3 import S3Storage  # boto3 loads only when S3 is used

        return S3Storage.from_url(url)
    root = config.get("UPLOAD_ROOT") or Path(instance_path) / "evidence"
    return LocalStorage(Path(root))
