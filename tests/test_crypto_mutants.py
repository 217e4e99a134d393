"""portal.crypto's key handling (docs/testing.md, mutation testing).

The keys decide whether every stored NIK, name and address can be read again:
a key spec read wrongly, a key file left world-readable or a half-written key
file cost the data. Expected values are written out by hand (base64 of
b"ABC" is "QUJD") or built here from their definition.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat

import pytest

from portal import crypto
from portal.crypto import (
    KeyError_,
    Keyring,
    create_private_json_once,
    generate_key_material,
    load_keys,
    parse_data_keys,
    write_private_json,
)

A32 = b"A" * 32
B32 = b"B" * 32


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def env(index=A32, data=None, secret="s" * 32) -> dict:
    return {
        "PORTAL_INDEX_KEY": b64(index) if index else "",
        "PORTAL_DATA_KEYS": data if data is not None else f"1:{b64(B32)}",
        "PORTAL_SECRET_KEY": secret,
    }


def test_base64_helpers():
    assert crypto._b64(b"ABC") == "QUJD"
    assert crypto._unb64("  QUJD\n", "X") == b"ABC"


def test_bad_base64_names_the_setting_and_keeps_the_cause():
    with pytest.raises(KeyError_, match=r"^PORTAL_INDEX_KEY is not valid base64$") as caught:
        crypto._unb64("QU*D", "PORTAL_INDEX_KEY")
    assert isinstance(caught.value.__cause__, ValueError)


def test_parse_data_keys_first_encrypts_all_decrypt():
    keys, active = parse_data_keys(f" 2:{b64(B32)} ,, 1:{b64(A32)} ,")
    assert keys == {2: B32, 1: A32}
    assert active == 2


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "^PORTAL_DATA_KEYS is empty$"),
        (" , ", "^PORTAL_DATA_KEYS is empty$"),
        ("x:QUJD", "^PORTAL_DATA_KEYS must look like '1:<base64>'$"),
        ("1:", "^PORTAL_DATA_KEYS must look like '1:<base64>'$"),
        ("QUJD", "^PORTAL_DATA_KEYS must look like '1:<base64>'$"),
        ("1:QUJD:QUJD", "^PORTAL_DATA_KEYS is not valid base64$"),
        ("1:QU*D", "^PORTAL_DATA_KEYS is not valid base64$"),
        ("1:QUJD,1:QUJE", "^PORTAL_DATA_KEYS repeats key id 1$"),
    ],
)
def test_parse_data_keys_refuses(spec, message):
    with pytest.raises(KeyError_, match=message):
        parse_data_keys(spec)


def test_generated_keys_are_32_random_bytes_each():
    first, second = generate_key_material(), generate_key_material()
    for material in (first, second):
        assert set(material) == {"secret_key", "index_key", "data_keys", "active_data_key"}
        assert material["active_data_key"] == 1 and set(material["data_keys"]) == {"1"}
        for text in (material["secret_key"], material["index_key"], material["data_keys"]["1"]):
            assert len(base64.b64decode(text)) == 32
    assert first["index_key"] != second["index_key"]
    assert first["data_keys"]["1"] != second["data_keys"]["1"]
    assert first["secret_key"] != second["secret_key"]


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_create_once_makes_an_owner_only_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "two" / "deeper" / "keys.json"
    assert create_private_json_once(path, {"a": 1}) is True
    assert mode(path) == 0o600
    assert path.read_text() == '{\n  "a": 1\n}'
    # a second process loses the race: the first file stands
    assert create_private_json_once(path, {"a": 2}) is False
    assert json.loads(path.read_text()) == {"a": 1}
    assert sorted(p.name for p in path.parent.iterdir()) == ["keys.json"]


def test_write_private_json_replaces_atomically(tmp_path):
    path = tmp_path / "two" / "new" / "secret.json"
    write_private_json(path, {"v": 1})
    assert mode(path) == 0o600 and json.loads(path.read_text()) == {"v": 1}
    path.chmod(0o644)
    write_private_json(path, {"v": 2})
    assert mode(path) == 0o600 and json.loads(path.read_text()) == {"v": 2}
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret.json"]


def test_a_failed_write_leaves_no_temporary(tmp_path):
    with pytest.raises(TypeError):
        write_private_json(tmp_path / "x.json", {"v": object()})
    with pytest.raises(TypeError):
        create_private_json_once(tmp_path / "y.json", {"v": object()})
    assert list(tmp_path.iterdir()) == []


def test_keys_from_the_environment(tmp_path):
    ring, secret = load_keys(env(data=f"2:{b64(B32)},1:{b64(A32)}"), tmp_path, False)
    assert ring.index_key == A32
    assert ring.data_keys == {2: B32, 1: A32} and ring.active_key_id == 2
    assert secret == "s" * 32
    assert list(tmp_path.iterdir()) == []  # no key file when the environment has keys


@pytest.mark.parametrize(
    ("blank", "missing"),
    [
        ({"index": None}, "PORTAL_INDEX_KEY"),
        ({"data": ""}, "PORTAL_DATA_KEYS"),
        ({"secret": ""}, "PORTAL_SECRET_KEY"),
        ({"index": None, "secret": ""}, "PORTAL_INDEX_KEY, PORTAL_SECRET_KEY"),
    ],
)
def test_an_incomplete_key_environment_names_what_is_missing(tmp_path, blank, missing):
    expected = (
        f"key environment is incomplete: {missing} missing "
        "(set all three or none; see docs/keys.md)"
    )
    for allow_generated in (True, False):
        with pytest.raises(KeyError_) as caught:
            load_keys(env(**blank), tmp_path, allow_generated)
        assert str(caught.value) == expected


def test_production_without_keys_refuses(tmp_path):
    with pytest.raises(KeyError_, match=r"^production needs PORTAL_SECRET_KEY, PORTAL_INDEX_KEY"):
        load_keys({}, tmp_path, False)
    assert list(tmp_path.iterdir()) == []


def test_generated_keys_are_made_once_and_read_back(tmp_path):
    ring, secret = load_keys({}, tmp_path, True)
    path = tmp_path / "keys.json"
    assert mode(path) == 0o600
    data = json.loads(path.read_text())
    assert ring.index_key == base64.b64decode(data["index_key"])
    assert ring.data_keys == {1: base64.b64decode(data["data_keys"]["1"])}
    assert secret == data["secret_key"]
    again, secret_again = load_keys({}, tmp_path, True)
    assert again.to_raw() == ring.to_raw() and secret_again == secret


def test_the_temporary_file_is_beside_the_target(tmp_path, monkeypatch):
    """Beside it, so that link and replace stay on one file system; hidden."""
    seen = []
    real_link, real_replace = os.link, os.replace

    def link(src, dst):
        seen.append(src)
        return real_link(src, dst)

    def replace(src, dst):
        seen.append(src)
        return real_replace(src, dst)

    monkeypatch.setattr(crypto.os, "link", link)
    monkeypatch.setattr(crypto.os, "replace", replace)
    create_private_json_once(tmp_path / "keys.json", {})
    write_private_json(tmp_path / "other.json", {})
    first, second = (os.path.split(s) for s in seen)
    assert first[0] == second[0] == str(tmp_path)
    assert first[1].startswith(".keys.json.") and second[1].startswith(".other.json.")


def test_a_failed_replace_keeps_its_error_and_leaves_no_temporary(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise PermissionError("read-only")

    monkeypatch.setattr(crypto.os, "replace", refuse)
    with pytest.raises(PermissionError, match="read-only"):
        write_private_json(tmp_path / "x.json", {"v": 1})
    assert list(tmp_path.iterdir()) == []


def test_bad_base64_in_the_environment_or_the_key_file_is_named(tmp_path):
    with pytest.raises(KeyError_, match=r"^PORTAL_INDEX_KEY is not valid base64$"):
        load_keys({**env(), "PORTAL_INDEX_KEY": "QU*D"}, tmp_path, False)
    material = generate_key_material()
    for broken in (
        {**material, "index_key": "QU*D"},
        {**material, "data_keys": {"1": "QU*D"}},
    ):
        (tmp_path / "keys.json").write_text(json.dumps(broken))
        with pytest.raises(KeyError_, match=r"^keys\.json is not valid base64$"):
            load_keys({}, tmp_path, True)


def test_production_message_in_full(tmp_path):
    with pytest.raises(KeyError_) as caught:
        load_keys({}, tmp_path, False)
    assert str(caught.value) == (
        "production needs PORTAL_SECRET_KEY, PORTAL_INDEX_KEY and PORTAL_DATA_KEYS "
        "in the environment (see docs/keys.md)"
    )


@pytest.mark.parametrize(
    ("index", "data", "active", "message"),
    [
        (b"i" * 31, {1: A32}, 1, "index key must be at least 32 bytes"),
        (A32, {0: A32}, 0, "data keys need an id 1-255 and 32 bytes"),
        (A32, {256: A32}, 256, "data keys need an id 1-255 and 32 bytes"),
        (A32, {1: b"k" * 31}, 1, "data keys need an id 1-255 and 32 bytes"),
        (A32, {1: A32}, 2, "active data key id has no key"),
    ],
)
def test_a_keyring_refuses_bad_keys(index, data, active, message):
    with pytest.raises(KeyError_) as caught:
        Keyring(index, data, active)
    assert str(caught.value) == message


def test_key_ids_1_and_255_are_both_allowed():
    ring = Keyring(A32, {1: A32, 255: B32}, 255)
    assert ring.decrypt(ring.encrypt("x", b"p"), b"p") == "x"


def test_blind_indexes_are_the_labelled_hmac_cut_to_16_bytes():
    ring = Keyring(A32, {1: B32}, 1)
    nik = "3201011508800001"

    def index(label: bytes) -> bytes:
        return hmac.new(A32, label + nik.encode(), hashlib.sha256).digest()[:16]

    assert ring.nik_index(nik) == index(b"nik:")
    assert ring.kk_index(nik) == index(b"kk:")
    assert ring.content_digest(b"row") == hmac.new(A32, b"row:row", hashlib.sha256).digest()


@pytest.mark.parametrize("blob", [b"", b"\x01\x01" + b"n" * 27, b"\x02\x01" + b"n" * 40])
def test_what_is_not_a_ciphertext_is_said_so(blob):
    ring = Keyring(A32, {1: B32}, 1)
    with pytest.raises(ValueError, match=r"^not a portal ciphertext$"):
        ring.decrypt(blob, b"p")
