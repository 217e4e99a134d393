"""Evidence in an S3-compatible bucket (issue 14 §3): AWS S3, MinIO, SeaweedFS…

``EVIDENCE_STORAGE_URL`` names the bucket and where to reach it::

    s3://bucket/optional/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1

Query keys: ``endpoint`` (omit for AWS itself), ``region``, ``sse``
(``AES256``, the default, or ``aws:kms``), ``kms_key_id`` (with ``aws:kms``),
``addressing`` (``path``, the default with an endpoint, or ``virtual``).
Unknown keys are refused, so a typo cannot silently drop encryption.
Credentials never appear in the URL (it is printed by ``describe`` and
``flask backup``): boto3 reads the standard ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY`` variables, a profile, or an instance role.

Why the bucket stays private: every put asks for server-side encryption and
sets no ACL, the service's default (private) applies, and nothing here makes
a presigned or public URL. Residents' KTP photos reach a browser only through
the authorising views, which read the bytes with these credentials (UP7).

Semantics kept from the local directory: a put is durable once the service
acknowledged it and never overwrites (``If-None-Match: *``); ``touch`` copies
the object onto itself, which renews its ``LastModified`` — the time the
orphan sweep's grace period is measured from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from portal.storage import StorageError, StoredObjectMissing

_QUERY_KEYS = frozenset({"endpoint", "region", "sse", "kms_key_id", "addressing"})
_SSE_MODES = frozenset({"AES256", "aws:kms"})
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
#: The readiness probe's object: a leading dot keeps it out of ``names()``.
_PING_KEY = ".readyz"


class S3Storage:
    """One bucket (and key prefix) of an S3-compatible service."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint: str | None = None,
        region: str | None = None,
        sse: str = "AES256",
        kms_key_id: str | None = None,
        addressing: str | None = None,
    ) -> None:
        if sse not in _SSE_MODES:
            raise ValueError(f"sse must be one of {sorted(_SSE_MODES)}")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint
        self._encryption = {"ServerSideEncryption": sse}
        if kms_key_id:
            self._encryption["SSEKMSKeyId"] = kms_key_id
        style = addressing or ("path" if endpoint else "virtual")
        # Botocore clients are thread-safe; one per process serves every thread.
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            config=Config(
                s3={"addressing_style": style},
                retries={"mode": "standard", "max_attempts": 3},
                connect_timeout=5,
                read_timeout=30,
                max_pool_connections=32,
            ),
        )

    @classmethod
    def from_url(cls, url: str) -> S3Storage:
        bucket, prefix, options = parse_url(url)
        return cls(bucket, prefix, **options)

    def _key(self, name: str) -> str:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise StoredObjectMissing(name)
        return f"{self.prefix}/{name}" if self.prefix else name

    def put(self, name: str, data: bytes) -> None:
        key = self._key(name)
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, IfNoneMatch="*", **self._encryption
            )
        except ClientError as exc:
            if _code(exc) in {"PreconditionFailed", "412", "ConditionalRequestConflict"}:
                raise FileExistsError(name) from None  # as the local directory says it
            raise StorageError(f"put failed: {_reason(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"put failed: {_reason(exc)}") from exc

    def get(self, name: str) -> bytes:
        key = self._key(name)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            return answer["Body"].read()
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise StoredObjectMissing(name) from None
            raise StorageError(f"get failed: {_reason(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"get failed: {_reason(exc)}") from exc

    def delete(self, name: str) -> bool:
        try:
            if not self.exists(name):
                return False
            self.client.delete_object(Bucket=self.bucket, Key=self._key(name))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"delete failed: {_reason(exc)}") from exc
        return True

    def exists(self, name: str) -> bool:
        try:
            key = self._key(name)
        except StoredObjectMissing:
            return False
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise StorageError(f"head failed: {_reason(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"head failed: {_reason(exc)}") from exc
        return True

    def touch(self, name: str) -> None:
        key = self._key(name)
        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": key},
                MetadataDirective="REPLACE",
                **self._encryption,
            )
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise StoredObjectMissing(name) from None
            raise StorageError(f"touch failed: {_reason(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"touch failed: {_reason(exc)}") from exc

    def names(self, older_than: dt.datetime | None = None) -> Iterator[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        )
        try:
            for page in pages:
                for item in page.get("Contents", ()):
                    name = item["Key"][len(start) :]
                    if not name or "/" in name or name.startswith("."):
                        continue
                    if older_than is not None and item["LastModified"] > older_than:
                        continue
                    yield name
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"list failed: {_reason(exc)}") from exc

    def sweep_temporaries(self, older_than: dt.datetime) -> list[str]:
        """Nothing to do: a single-part put is atomic and leaves no temporary."""
        return []

    def ping(self) -> None:
        """One small encrypted put: proves reach, credentials, write permission
        and that the service accepts the encryption we ask for."""
        key = f"{self.prefix}/{_PING_KEY}" if self.prefix else _PING_KEY
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=b"", **self._encryption)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"{self.describe()}: {_reason(exc)}") from exc

    def describe(self) -> str:
        where = f" at {self.endpoint}" if self.endpoint else ""
        prefix = f"/{self.prefix}" if self.prefix else ""
        return f"s3://{self.bucket}{prefix}{where}"


def parse_url(url: str) -> tuple[str, str, dict[str, str]]:
    """(bucket, prefix, options) of an ``EVIDENCE_STORAGE_URL``; ``ValueError``
    for anything this module would not understand (checked at app start)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.hostname:
        raise ValueError("EVIDENCE_STORAGE_URL must look like s3://bucket/prefix?endpoint=…")
    if parts.username or parts.password:
        raise ValueError("credentials do not belong in EVIDENCE_STORAGE_URL: use AWS_*")
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(query) - _QUERY_KEYS
    if unknown:
        raise ValueError(f"unknown EVIDENCE_STORAGE_URL parameter(s): {sorted(unknown)}")
    if query.get("sse", "AES256") not in _SSE_MODES:
        raise ValueError(f"EVIDENCE_STORAGE_URL: sse must be one of {sorted(_SSE_MODES)}")
    query = {k: v for k, v in query.items() if v}  # blank means the default
    endpoint = query.get("endpoint")
    if endpoint and urlsplit(endpoint).scheme not in {"http", "https"}:
        raise ValueError("EVIDENCE_STORAGE_URL: endpoint must be an http(s):// address")
    return parts.hostname, parts.path, query


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _reason(exc: Exception) -> str:
    """The service's error code, or the exception's class: never the request."""
    if isinstance(exc, ClientError):
        return _code(exc) or "error"
    return type(exc).__name__
