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
        acknowledged by the service) before it returns. Never overwrites:
        ``FileExistsError`` if the name is taken."""

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

    def sweep_temporaries(self, older_than: dt.datetime) -> list[str]:
        """Remove what an interrupted ``put`` left behind before ``older_than``
        (the orphan sweep calls it); the removed names."""

    def ping(self) -> None:
        """Raise ``StorageError`` unless the store can be written (readiness)."""

    def describe(self) -> str:
        """Where the files are, without credentials (logs, ``flask backup``)."""


def storage() -> EvidenceStorage:
    """The current app's evidence storage: made once per app, and again only
    if ``EVIDENCE_STORAGE_URL`` or ``UPLOAD_ROOT`` changed (tests point each
    test at its own folder or prefix)."""
    from flask import current_app

    from portal.storage.factory import make_storage, storage_key

    key = storage_key(current_app.config, current_app.instance_path)
    made = current_app.extensions.get("evidence_storage")
    if made is None or made[0] != key:
        made = (key, make_storage(current_app.config, current_app.instance_path))
        current_app.extensions["evidence_storage"] = made
    return made[1]
