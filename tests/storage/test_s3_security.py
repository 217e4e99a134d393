"""What only the S3 backend can get wrong: encryption asked for on every
write, nothing readable without credentials, no secrets in the URL or in
``describe``, and a store that cannot be reached fails readiness."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from portal.storage import StorageError
from portal.storage.s3 import S3Storage
from portal.tickets import evidence
from tests.tickets.evidence_files import encode, photo, upload

PLAIN = b"\xff\xd8 NIK 3201234567890123 " * 8


@pytest.fixture
def s3(s3_server):
    return S3Storage.from_url(s3_server.url("sec"))


def _head(store: S3Storage, name: str) -> dict:
    return store.client.head_object(Bucket=store.bucket, Key=f"{store.prefix}/{name}")


def test_every_write_asks_for_server_side_encryption(s3, s3_server):
    """A file, its thumbnail and a touched file: the service reports each one
    encrypted (``head_object``), and the bytes at rest are not the plaintext
    (read past the S3 gateway, from SeaweedFS's own filer)."""
    settings = evidence.EvidenceSettings(upload_root=s3_server.directory, storage=s3)
    image = evidence.store(upload("a.jpg", encode(photo(), "JPEG"), settings), settings)
    thumb = evidence.store_thumbnail(image.stored_name, image.media_type, settings)
    name = "E" * 32 + ".pdf"
    s3.put(name, PLAIN)
    s3.touch(name)
    for stored in (image.stored_name, thumb, name):
        assert _head(s3, stored)["ServerSideEncryption"] == "AES256", stored
    at_rest = urllib.request.urlopen(f"{s3_server.filer}/buckets/evidence/sec/{name}").read()
    assert at_rest and b"3201234567890123" not in at_rest
    assert s3.get(name) == PLAIN


def test_objects_are_not_public(s3, s3_server):
    name = "P" * 32 + ".jpg"
    s3.put(name, PLAIN)
    for url in (
        f"{s3_server.endpoint}/evidence/sec/{name}",
        f"{s3_server.endpoint}/evidence?list-type=2",
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url)
        assert refused.value.code == 403
    grants = s3.client.get_object_acl(Bucket=s3.bucket, Key=f"sec/{name}")["Grants"]
    assert not [g for g in grants if "URI" in g["Grantee"]]  # no AllUsers/AuthenticatedUsers


def test_wrong_credentials_or_no_server_fail_readiness(s3_server, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(StorageError):
        S3Storage.from_url(s3_server.url("sec")).ping()
    closed = "s3://evidence/x?endpoint=http://127.0.0.1:9&region=us-east-1"
    with pytest.raises(StorageError):
        S3Storage.from_url(closed).ping()


def test_the_url(s3_server):
    store = S3Storage.from_url("s3://b/a/b/?endpoint=http://h:1&region=r&sse=aws:kms")
    assert (store.bucket, store.prefix, store.endpoint) == ("b", "a/b", "http://h:1")
    assert store._encryption == {"ServerSideEncryption": "aws:kms"}
    assert store.describe() == "s3://b/a/b at http://h:1"
    assert store._key("x.jpg") == "a/b/x.jpg"
    with pytest.raises(ValueError, match="credentials"):
        S3Storage.from_url("s3://key:secret@b/p")
    with pytest.raises(ValueError, match="unknown"):
        S3Storage.from_url("s3://b/p?sse_mode=none")
    with pytest.raises(ValueError, match="sse"):
        S3Storage.from_url("s3://b/p?sse=none")


def test_a_config_mapping_with_a_url_uses_the_bucket(s3_server):
    config = {"EVIDENCE_STORAGE_URL": s3_server.url("map"), "MAX_FILE_BYTES": 1234}
    settings = evidence._settings(config)
    assert settings.storage.describe() == f"s3://evidence/map at {s3_server.endpoint}"
    assert settings.max_file_bytes == 1234


def test_the_app_refuses_a_bucket_url_that_cannot_work_at_start():
    from portal.config import ConfigError, _check_evidence_storage

    _check_evidence_storage(None, production=True)
    _check_evidence_storage("s3://b/p?region=ap-southeast-3", production=True)  # AWS itself
    _check_evidence_storage("s3://b/p?endpoint=http://127.0.0.1:9000", production=True)
    _check_evidence_storage("s3://b/p?endpoint=http://minio.internal:9000", production=False)
    for url, production in (
        ("s3://b/p?endpoint=http://minio.internal:9000", True),
        ("s3://b/p?endpoint=ftp://h", False),
        ("s3://b/p?sse=", False),
        ("https://b/p", False),
    ):
        with pytest.raises(ConfigError):
            _check_evidence_storage(url, production)
