"""Blind indexes and field encryption for personal data (DESIGN.md §6).

* A *blind index* is HMAC-SHA256 (truncated to 128 bits) under the index key, with a domain label so
  a NIK and a KK number with the same digits never share an index value. It
  lets us find a row by NIK without storing the NIK.
* Field encryption is AES-256-GCM. Each ciphertext is
  ``0x01 | key id (1 byte) | nonce (12 bytes) | ciphertext+tag`` and is bound
  to its column by the associated data (``b"person.nik"`` …), so a value copied
  into another column does not decrypt.

Keys come from the environment (``PORTAL_INDEX_KEY``, ``PORTAL_DATA_KEYS``) or,
outside production, from ``instance/keys.json`` generated on first run with
mode 0600. ``PORTAL_DATA_KEYS`` is ``"2:<base64>,1:<base64>"``: the first key
encrypts, all of them decrypt. Rotation is described in docs/keys.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = 1
#: Blind indexes keep 128 bits of the HMAC: collisions are out of reach
#: (birthday bound 2^64) and the unique indexes over millions of rows stay
#: half the size, which is most of the import's write cost.
INDEX_BYTES = 16
KEY_FILE = "keys.json"


class KeyError_(RuntimeError):
    """Keys are missing or malformed; the app must not start."""


@dataclass
class Keyring:
    index_key: bytes
    data_keys: dict[int, bytes]
    active_key_id: int
    _aead: dict[int, AESGCM] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if len(self.index_key) < 32:
            raise KeyError_("index key must be at least 32 bytes")
        for kid, key in self.data_keys.items():
            if not 1 <= kid <= 255 or len(key) != 32:
                raise KeyError_("data keys need an id 1-255 and 32 bytes")
        if self.active_key_id not in self.data_keys:
            raise KeyError_("active data key id has no key")
        self._aead = {kid: AESGCM(key) for kid, key in self.data_keys.items()}
        self._nik = hmac.new(self.index_key, b"nik:", hashlib.sha256)
        self._kk = hmac.new(self.index_key, b"kk:", hashlib.sha256)
        self._row = hmac.new(self.index_key, b"row:", hashlib.sha256)

    # Blind indexes ---------------------------------------------------------
    def nik_index(self, nik: str) -> bytes:
        h = self._nik.copy()
        h.update(nik.encode("ascii"))
        return h.digest()[:INDEX_BYTES]

    def kk_index(self, kk: str) -> bytes:
        h = self._kk.copy()
        h.update(kk.encode("ascii"))
        return h.digest()[:INDEX_BYTES]

    def content_digest(self, data: bytes) -> bytes:
        """Keyed digest of a row's content: detects change without revealing it."""
        h = self._row.copy()
        h.update(data)
        return h.digest()

    # Encryption ------------------------------------------------------------
    def encrypt(self, plaintext: str, purpose: bytes) -> bytes:
        nonce = os.urandom(12)
        kid = self.active_key_id
        return (
            bytes((FORMAT_VERSION, kid))
            + nonce
            + self._aead[kid].encrypt(nonce, plaintext.encode("utf-8"), purpose)
        )

    def decrypt(self, blob: bytes, purpose: bytes) -> str:
        blob = bytes(blob)
        if len(blob) < 2 + 12 + 16 or blob[0] != FORMAT_VERSION:
            raise ValueError("not a portal ciphertext")
        aead = self._aead.get(blob[1])
        if aead is None:
            raise ValueError(f"unknown data key id {blob[1]}")
        return aead.decrypt(blob[2:14], blob[14:], purpose).decode("utf-8")

    @staticmethod
    def key_id_of(blob: bytes) -> int:
        return bytes(blob)[1]

    # (De)serialisation for worker processes -----------------------------
    def to_raw(self) -> tuple[bytes, dict[int, bytes], int]:
        return self.index_key, dict(self.data_keys), self.active_key_id

    @classmethod
    def from_raw(cls, raw: tuple[bytes, dict[int, bytes], int]) -> Keyring:
        return cls(*raw)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, name: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except ValueError as exc:
        raise KeyError_(f"{name} is not valid base64") from exc


def parse_data_keys(spec: str) -> tuple[dict[int, bytes], int]:
    """``"2:<b64>,1:<b64>"`` → ({2: key, 1: key}, 2)."""
    keys: dict[int, bytes] = {}
    active = None
    for part in filter(None, (p.strip() for p in spec.split(","))):
        kid_text, _, b64 = part.partition(":")
        if not kid_text.isdigit() or not b64:
            raise KeyError_("PORTAL_DATA_KEYS must look like '1:<base64>'")
        kid = int(kid_text)
        if kid in keys:
            raise KeyError_(f"PORTAL_DATA_KEYS repeats key id {kid}")
        keys[kid] = _unb64(b64, "PORTAL_DATA_KEYS")
        active = kid if active is None else active
    if active is None:
        raise KeyError_("PORTAL_DATA_KEYS is empty")
    return keys, active


def generate_key_material() -> dict:
    return {
        "secret_key": _b64(os.urandom(32)),
        "index_key": _b64(os.urandom(32)),
        "data_keys": {"1": _b64(os.urandom(32))},
        "active_data_key": 1,
    }


def _private_temp_json(path: Path, data: dict) -> str:
    """Write ``data`` to a fsynced temporary file (mode 0600) beside ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def write_private_json(path: Path, data: dict) -> None:
    """Create or replace a file readable only by its owner, atomically."""
    tmp = _private_temp_json(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def create_private_json_once(path: Path, data: dict) -> bool:
    """Create ``path`` (mode 0600) unless it exists; False when another
    process won the race, whose file then stands."""
    tmp = _private_temp_json(path, data)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        Path(tmp).unlink(missing_ok=True)


def load_keys(env: dict, instance_path: Path, allow_generated: bool) -> tuple[Keyring, str]:
    """Return the keyring and the Flask secret key.

    Environment first; otherwise ``instance/keys.json`` (created if absent)
    when ``allow_generated`` — never in production.
    """
    index_b64 = env.get("PORTAL_INDEX_KEY")
    data_spec = env.get("PORTAL_DATA_KEYS")
    secret = env.get("PORTAL_SECRET_KEY")
    given = {
        "PORTAL_INDEX_KEY": index_b64,
        "PORTAL_DATA_KEYS": data_spec,
        "PORTAL_SECRET_KEY": secret,
    }
    if any(given.values()) and not all(given.values()):
        missing = ", ".join(k for k, v in given.items() if not v)
        raise KeyError_(
            f"key environment is incomplete: {missing} missing "
            "(set all three or none; see docs/keys.md)"
        )
    if index_b64 and data_spec and secret:
        keys, active = parse_data_keys(data_spec)
        return Keyring(_unb64(index_b64, "PORTAL_INDEX_KEY"), keys, active), secret
    if not allow_generated:
        raise KeyError_(
            "production needs PORTAL_SECRET_KEY, PORTAL_INDEX_KEY and PORTAL_DATA_KEYS "
            "in the environment (see docs/keys.md)"
        )
    path = instance_path / KEY_FILE
    if not path.exists():
        create_private_json_once(path, generate_key_material())
    data = json.loads(path.read_text())
    keys = {int(k): _unb64(v, "keys.json") for k, v in data["data_keys"].items()}
    ring = Keyring(_unb64(data["index_key"], "keys.json"), keys, int(data["active_data_key"]))
    return ring, data["secret_key"]


# -- slow hashes for secrets people type (staff passwords, ticket PINs) --------
#: Argon2id at argon2-cffi's defaults, the RFC 9106 "low memory" profile
#: (64 MiB, 3 passes, 4 lanes); SECURITY.md AU1.
_argon2 = PasswordHasher()


def argon2_hash(secret: str) -> str:
    return _argon2.hash(secret)


def argon2_verify(secret_hash: str, secret: str) -> bool:
    """True when ``secret`` matches; a malformed hash is a mismatch, not an error."""
    try:
        return _argon2.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False
