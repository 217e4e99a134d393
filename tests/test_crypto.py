"""Blind indexes, field encryption and key loading (DESIGN.md §6, docs/keys.md)."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from cryptography.exceptions import InvalidTag

from portal import create_app
from portal.crypto import (
    FORMAT_VERSION,
    KEY_FILE,
    KeyError_,
    Keyring,
    load_keys,
    parse_data_keys,
)

DIGITS = "3273014501900001"
KEY_ENV = ("PORTAL_SECRET_KEY", "SECRET_KEY", "PORTAL_INDEX_KEY", "PORTAL_DATA_KEYS")


def _key(fill: int) -> bytes:
    return bytes([fill]) * 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _ring(index_fill: int = 1, keys: dict[int, bytes] | None = None, active: int = 1) -> Keyring:
    return Keyring(_key(index_fill), keys or {1: _key(0x11)}, active)


@pytest.fixture
def ring() -> Keyring:
    return _ring()


# Blind indexes -----------------------------------------------------------


def test_blind_index_is_deterministic_for_one_key(ring):
    assert ring.nik_index(DIGITS) == ring.nik_index(DIGITS)
    assert ring.nik_index(DIGITS) == _ring().nik_index(DIGITS)
    assert len(ring.nik_index(DIGITS)) == 16  # 128 bits of HMAC-SHA256


def test_blind_index_separates_nik_from_kk_with_the_same_digits(ring):
    assert ring.nik_index(DIGITS) != ring.kk_index(DIGITS)


def test_blind_index_depends_on_the_index_key():
    assert _ring(index_fill=1).nik_index(DIGITS) != _ring(index_fill=2).nik_index(DIGITS)
    assert _ring(index_fill=1).kk_index(DIGITS) != _ring(index_fill=2).kk_index(DIGITS)


def test_blind_index_does_not_depend_on_the_data_keys():
    assert _ring(keys={1: _key(0x11)}).nik_index(DIGITS) == _ring(keys={1: _key(0x22)}).nik_index(
        DIGITS
    )


def test_different_niks_have_different_indexes(ring):
    assert ring.nik_index(DIGITS) != ring.nik_index("3273014501900002")


# Encryption --------------------------------------------------------------


@pytest.mark.parametrize(
    "plaintext",
    [
        "BUDI SANTOSO",
        "Ni Luh Putu Ayu Ñoman",
        "Ṣiti Aisyah — 王 ✓",
        "Jl. Merdeka 1, RT 01/RW 02",
        "",
    ],
)
def test_encrypt_then_decrypt_gives_the_plaintext_back(ring, plaintext):
    blob = ring.encrypt(plaintext, b"person.name")

    assert ring.decrypt(blob, b"person.name") == plaintext
    assert plaintext.encode("utf-8") not in blob or plaintext == ""


def test_ciphertext_format_is_version_key_id_nonce_body(ring):
    blob = ring.encrypt(DIGITS, b"person.nik")

    assert blob[0] == FORMAT_VERSION
    assert blob[1] == 1
    assert len(blob) == 1 + 1 + 12 + len(DIGITS) + 16


def test_the_same_plaintext_encrypts_differently_each_time(ring):
    first = ring.encrypt(DIGITS, b"person.nik")
    second = ring.encrypt(DIGITS, b"person.nik")

    assert first != second
    assert first[2:14] != second[2:14]  # a fresh nonce each time


def test_a_ciphertext_is_bound_to_its_column(ring):
    blob = ring.encrypt(DIGITS, b"person.nik")

    with pytest.raises(InvalidTag):
        ring.decrypt(blob, b"household.kk")


@pytest.mark.parametrize("position", [14, 20, -1], ids=["first-body", "mid-body", "tag"])
def test_a_tampered_ciphertext_does_not_decrypt(ring, position):
    blob = bytearray(ring.encrypt("BUDI SANTOSO", b"person.name"))
    blob[position] ^= 0x01

    with pytest.raises(InvalidTag):
        ring.decrypt(bytes(blob), b"person.name")


def test_a_tampered_nonce_does_not_decrypt(ring):
    blob = bytearray(ring.encrypt("BUDI SANTOSO", b"person.name"))
    blob[2] ^= 0x01

    with pytest.raises(InvalidTag):
        ring.decrypt(bytes(blob), b"person.name")


@pytest.mark.parametrize(
    ("header", "message"),
    [(b"\x02\x01", "not a portal ciphertext"), (b"\x01\x09", "unknown data key id 9")],
    ids=["version", "key-id"],
)
def test_a_tampered_header_does_not_decrypt(ring, header, message):
    blob = header + ring.encrypt("BUDI SANTOSO", b"person.name")[2:]

    with pytest.raises(ValueError, match=message):
        ring.decrypt(blob, b"person.name")


def test_a_truncated_ciphertext_does_not_decrypt(ring):
    with pytest.raises(ValueError, match="not a portal ciphertext"):
        ring.decrypt(ring.encrypt("", b"person.name")[:-1], b"person.name")


def test_decrypt_accepts_memoryview_from_the_database(ring):
    blob = ring.encrypt("BUDI", b"person.name")

    assert ring.decrypt(memoryview(blob), b"person.name") == "BUDI"


def test_another_data_key_cannot_decrypt():
    blob = _ring(keys={1: _key(0x11)}).encrypt(DIGITS, b"person.nik")

    with pytest.raises(InvalidTag):
        _ring(keys={1: _key(0x22)}).decrypt(blob, b"person.nik")


# Rotation ----------------------------------------------------------------


def test_rotation_decrypts_old_ciphertexts_and_encrypts_with_the_new_key():
    old_ring = _ring(keys={1: _key(0x11)}, active=1)
    old_blob = old_ring.encrypt("BUDI SANTOSO", b"person.name")
    rotated = _ring(keys={2: _key(0x22), 1: _key(0x11)}, active=2)

    new_blob = rotated.encrypt("BUDI SANTOSO", b"person.name")

    assert Keyring.key_id_of(old_blob) == 1
    assert Keyring.key_id_of(new_blob) == 2
    assert rotated.decrypt(old_blob, b"person.name") == "BUDI SANTOSO"
    assert rotated.decrypt(new_blob, b"person.name") == "BUDI SANTOSO"
    assert rotated.nik_index(DIGITS) == old_ring.nik_index(DIGITS)
    with pytest.raises(ValueError, match="unknown data key id 2"):
        old_ring.decrypt(new_blob, b"person.name")


def test_a_keyring_survives_the_trip_to_a_worker_process(ring):
    copy = Keyring.from_raw(ring.to_raw())

    assert copy.decrypt(ring.encrypt("BUDI", b"person.name"), b"person.name") == "BUDI"
    assert copy.nik_index(DIGITS) == ring.nik_index(DIGITS)


@pytest.mark.parametrize(
    ("index_key", "data_keys", "active"),
    [
        (bytes(31), {1: _key(1)}, 1),
        (bytes(32), {1: bytes(16)}, 1),
        (bytes(32), {0: _key(1)}, 0),
        (bytes(32), {256: _key(1)}, 256),
        (bytes(32), {1: _key(1)}, 2),
    ],
    ids=["short-index-key", "aes-128-key", "key-id-0", "key-id-256", "active-missing"],
)
def test_a_malformed_keyring_is_refused(index_key, data_keys, active):
    with pytest.raises(KeyError_):
        Keyring(index_key, data_keys, active)


# Loading keys ------------------------------------------------------------


def test_data_keys_from_the_environment_first_is_active():
    keys, active = parse_data_keys(f"2:{_b64(_key(0x22))}, 1:{_b64(_key(0x11))}")

    assert active == 2
    assert keys == {2: _key(0x22), 1: _key(0x11)}


@pytest.mark.parametrize(
    "spec", ["", " , ", "x:AAAA", "1:", ":AAAA", "1:not base64!", f"{_b64(_key(1))}"]
)
def test_malformed_data_keys_are_refused(spec):
    with pytest.raises(KeyError_):
        parse_data_keys(spec)


def _env_keys(**extra) -> dict:
    return {
        "PORTAL_SECRET_KEY": "s" * 64,
        "PORTAL_INDEX_KEY": _b64(_key(0x33)),
        "PORTAL_DATA_KEYS": f"2:{_b64(_key(0x22))},1:{_b64(_key(0x11))}",
        **extra,
    }


@pytest.mark.parametrize("allow_generated", [True, False])
def test_keys_from_the_environment_win_and_write_no_file(tmp_path, allow_generated):
    ring, secret = load_keys(_env_keys(), tmp_path, allow_generated=allow_generated)

    assert secret == "s" * 64
    assert ring.active_key_id == 2
    assert ring.index_key == _key(0x33)
    assert ring.data_keys == {2: _key(0x22), 1: _key(0x11)}
    assert not (tmp_path / KEY_FILE).exists()


def test_an_invalid_index_key_in_the_environment_is_refused(tmp_path):
    with pytest.raises(KeyError_):
        load_keys(_env_keys(PORTAL_INDEX_KEY="***"), tmp_path, allow_generated=True)


@pytest.mark.parametrize("missing", ["PORTAL_SECRET_KEY", "PORTAL_INDEX_KEY", "PORTAL_DATA_KEYS"])
def test_a_partial_key_environment_is_refused_even_in_development(tmp_path, missing):
    env = _env_keys()
    del env[missing]
    with pytest.raises(KeyError_, match=missing):
        load_keys(env, tmp_path, allow_generated=True)
    assert not (tmp_path / KEY_FILE).exists()


def test_a_repeated_data_key_id_is_refused():
    with pytest.raises(KeyError_, match="repeats key id 1"):
        parse_data_keys(f"1:{_b64(_key(1))},1:{_b64(_key(2))}")


def test_concurrent_first_runs_agree_on_one_key_file(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        rings = list(pool.map(lambda _: load_keys({}, tmp_path, allow_generated=True), range(8)))
    indexes = {ring.nik_index(DIGITS) for ring, _ in rings}
    assert len(indexes) == 1
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]


def test_first_run_generates_a_private_key_file_then_reuses_it(tmp_path):
    instance = tmp_path / "instance"

    ring, secret = load_keys({}, instance, allow_generated=True)

    path = instance / KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert set(stored) == {"secret_key", "index_key", "data_keys", "active_data_key"}
    assert ring.active_key_id == 1
    assert len(secret) >= 32
    assert not list(instance.glob("*.tmp"))

    before = path.read_bytes()
    again, again_secret = load_keys({}, instance, allow_generated=True)

    assert path.read_bytes() == before
    assert again_secret == secret
    assert again.nik_index(DIGITS) == ring.nik_index(DIGITS)
    assert again.decrypt(ring.encrypt("BUDI", b"person.name"), b"person.name") == "BUDI"


def test_two_instances_generate_different_keys(tmp_path):
    first, first_secret = load_keys({}, tmp_path / "a", allow_generated=True)
    second, second_secret = load_keys({}, tmp_path / "b", allow_generated=True)

    assert first.nik_index(DIGITS) != second.nik_index(DIGITS)
    assert first_secret != second_secret


@pytest.mark.parametrize(
    "env",
    [{}, {"PORTAL_INDEX_KEY": _b64(_key(1)), "PORTAL_DATA_KEYS": f"1:{_b64(_key(2))}"}],
    ids=["none", "no-secret-key"],
)
def test_production_without_environment_keys_is_refused(tmp_path, env):
    with pytest.raises(KeyError_, match=r"docs/keys\.md"):
        load_keys(env, tmp_path, allow_generated=False)

    assert not (tmp_path / KEY_FILE).exists()


@pytest.fixture
def production_env(tmp_path, monkeypatch):
    """PORTAL_ENV=production with a throwaway instance folder and database."""
    for name in KEY_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'portal.db'}")
    return tmp_path / "instance"


def test_the_production_app_refuses_to_start_without_keys(production_env):
    with pytest.raises(KeyError_):
        create_app()

    assert not (production_env / KEY_FILE).exists()


def test_the_production_app_starts_with_environment_keys(production_env, monkeypatch):
    for name, value in _env_keys().items():
        monkeypatch.setenv(name, value)

    app = create_app(
        {
            "HCAPTCHA_REQUIRED_IN_PRODUCTION": False,
            "PUBLIC_BASE_URL": "https://portal.example",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        }
    )

    assert app.config["ENV_NAME"] == "production"
    assert app.extensions["keyring"].active_key_id == 2
    assert app.config["SECRET_KEY"] == "s" * 64
    assert not (production_env / KEY_FILE).exists()


def test_the_production_app_needs_its_public_address(production_env, monkeypatch):
    for name, value in _env_keys().items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match="PORTAL_PUBLIC_BASE_URL"):
        create_app({"HCAPTCHA_REQUIRED_IN_PRODUCTION": False})


def test_the_production_app_needs_redis_for_its_limits(production_env, monkeypatch):
    """SECURITY.md RL1: limits in each worker's memory would multiply every budget."""
    for name, value in _env_keys().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REDIS_URL", raising=False)
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        create_app(
            {"HCAPTCHA_REQUIRED_IN_PRODUCTION": False, "PUBLIC_BASE_URL": "https://portal.example"}
        )
