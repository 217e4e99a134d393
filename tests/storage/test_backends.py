"""The storage contract (``portal.storage.EvidenceStorage``), on both backends."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from portal.storage import StoredObjectMissing

A = "A" * 32 + ".jpg"
B = "B" * 32 + ".png"


def test_put_then_get_exists_delete(backend):
    backend.put(A, b"\xff\xd8photo")
    assert backend.get(A) == b"\xff\xd8photo"
    assert backend.exists(A) and not backend.exists(B)
    assert backend.delete(A) is True
    assert backend.delete(A) is False
    assert not backend.exists(A)
    with pytest.raises(StoredObjectMissing):
        backend.get(A)


def test_a_put_never_overwrites(backend):
    backend.put(A, b"first")
    with pytest.raises(FileExistsError):
        backend.put(A, b"second")
    assert backend.get(A) == b"first"


@pytest.mark.parametrize("name", ["", "../" + A, "x/" + A, "x\\" + A, ".hidden", "/etc/passwd"])
def test_names_with_a_path_or_a_dot_reach_nothing(backend, name):
    backend.put(A, b"x")
    with pytest.raises(StoredObjectMissing):
        backend.get(name)
    with pytest.raises(StoredObjectMissing):
        backend.put(name, b"y")
    assert not backend.exists(name)
    assert sorted(backend.names()) == [A]


def test_names_older_than_and_touch(backend):
    """``names(older_than)`` lists what was last written or touched before the
    cutoff; S3 keeps whole seconds, so the test waits for the next second."""
    backend.put(A, b"old")
    backend.put(B, b"renewed later")
    _next_second()
    middle = dt.datetime.now(dt.UTC).replace(microsecond=0)
    _next_second()
    backend.touch(B)
    fresh = "C" * 32 + ".pdf"
    backend.put(fresh, b"%PDF")
    assert sorted(backend.names()) == sorted([A, B, fresh])
    assert list(backend.names(older_than=middle)) == [A]
    with pytest.raises(StoredObjectMissing):
        backend.touch("D" * 32 + ".jpg")


def test_ping_and_a_describe_without_secrets(backend, monkeypatch):
    import os

    backend.ping()
    text = backend.describe()
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
    assert not secret or secret not in text
    assert ".readyz" not in list(backend.names())


def _next_second() -> None:
    time.sleep(1.05 - (time.time() % 1))
