"""Pick the backend from the configuration (``EVIDENCE_STORAGE_URL``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from portal.storage import EvidenceStorage
from portal.storage.local import LocalStorage


def make_storage(config: Mapping[str, Any], instance_path: str) -> EvidenceStorage:
    """``s3://bucket/prefix?endpoint=…`` → S3 (issue 14 §3); unset → the local directory."""
    url = config.get("EVIDENCE_STORAGE_URL")
    if url:
        raise NotImplementedError("S3 storage: portal/storage/s3.py (issue 14 §3, in progress)")
    root = config.get("UPLOAD_ROOT") or Path(instance_path) / "evidence"
    return LocalStorage(Path(root))
