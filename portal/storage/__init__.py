"""Where evidence files live (issue 14 §3): one interface, two backends.

``LocalStorage`` is a directory (the default, ``UPLOAD_ROOT`` or
``<instance>/evidence``); ``S3Storage`` (``portal.storage.s3``) is any
S3-compatible service named by ``EVIDENCE_STORAGE_URL``. Callers never see
paths or URLs: they hand over and get back bytes by the stored name that
``portal.tickets.evidence`` drew, and files are only ever sent to a browser
through an authorising view (UP7). ``storage()`` is the app's backend.

Names are checked by the caller (``evidence.STORED_NAME``); a backend still
refuses anything with a path separator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Protocol


class StorageError(RuntimeError):
    """The storage service could not be reached or refused an operation."""


class StoredObjectMissing(KeyError):
    """No file is stored under that name."""


class EvidenceStorage(Protocol):
    """What every evidence backend does. All methods are safe from several
    threads and processes at once."""

    def put(self, name: str, data: bytes) -> None:
        """Store ``data`` under a new ``name``; durable (fsynced, or
        acknowledged by the service) before it returns. Never overwrites."""

    def get(self, name: str) -> bytes:
        """The file's bytes; ``StoredObjectMissing`` if there is none."""

    def delete(self, name: str) -> bool:
        """Remove the file; False if it was not there."""

    def exists(self, name: str) -> bool: ...

    def touch(self, name: str) -> None:
        """Mark the file as used now (a draft kept alive): the orphan sweep
        only removes files older than its grace period."""

    def names(self, older_than: dt.datetime | None = None) -> Iterator[str]:
        """Every stored name (temporary files excluded), or only those last
        written or touched before ``older_than`` (UTC)."""

    def ping(self) -> None:
        """Raise ``StorageError`` unless the store can be written (readiness)."""

    def describe(self) -> str:
        """Where the files are, without credentials (logs, ``flask backup``)."""


def storage() -> EvidenceStorage:
    """The current app's evidence storage (made once per app)."""
    from flask import current_app

    store = current_app.extensions.get("evidence_storage")
    if store is None:
        from portal.storage.factory import make_storage

        store = make_storage(current_app.config, current_app.instance_path)
        current_app.extensions["evidence_storage"] = store
    return store
