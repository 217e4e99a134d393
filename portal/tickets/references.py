"""How a resident gets back to a ticket (DESIGN.md §4, SECURITY.md AU5).

* The **reference** (``DT-7KQ4-M9XW``) names the ticket. It is random but not
  a secret: safe to read out on the phone, printed on the receipt. Its
  alphabet leaves out 0/O, 1/I/L so it survives handwriting and phone calls.
* The **PIN** (6 digits) is shown once at submission. With the reference it
  opens the ticket. Only an Argon2 hash of an HMAC of it is stored: the HMAC
  under the index key means a stolen database alone is not enough to try the
  10^6 PINs offline; the attempts online are limited (``access.open_by_pin``).
* The **tracking token** (128 random bits, URL-safe) is the tracking link
  ``/t/<token>`` on the receipt's QR code. Only its keyed digest is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from functools import lru_cache

from portal.crypto import Keyring, argon2_hash, argon2_verify

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_PATTERN = re.compile(rf"DT-[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}")
PIN_DIGITS = 6
TRACKING_TOKEN_BYTES = 16  # 128 bits
#: ``secrets.token_urlsafe(16)``: 22 characters of the URL-safe base64 alphabet.
TRACKING_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")

_SEPARATORS = re.compile(r"[\s\-_.]+")


def new_reference() -> str:
    """``DT-XXXX-XXXX`` from 31 unambiguous characters (31^8 ≈ 8.5·10^11)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"DT-{chars[:4]}-{chars[4:]}"


def parse_reference(text: str) -> str | None:
    """A reference as typed (``dt 7kq4 m9xw``, ``7KQ4M9XW``) in its canonical
    form, or ``None`` when it cannot be one."""
    compact = _SEPARATORS.sub("", text or "").upper()
    if len(compact) == 10 and compact.startswith("DT"):
        compact = compact[2:]
    candidate = f"DT-{compact[:4]}-{compact[4:]}"
    return candidate if len(compact) == 8 and REFERENCE_PATTERN.fullmatch(candidate) else None


def new_pin() -> str:
    """Six random digits, leading zeros kept."""
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def _keyed_pin(keyring: Keyring, reference: str, pin: str) -> str:
    mac = hmac.new(keyring.index_key, b"ticket-pin:", hashlib.sha256)
    mac.update(f"{reference}:{pin}".encode("ascii", "replace"))
    return mac.hexdigest()


def hash_pin(keyring: Keyring, reference: str, pin: str) -> str:
    """Argon2id of HMAC(index key, reference + PIN)."""
    return argon2_hash(_keyed_pin(keyring, reference, pin))


def verify_pin(keyring: Keyring, reference: str, pin: str, pin_hash: str) -> bool:
    """True when ``pin`` is the ticket's PIN; a malformed hash is a mismatch."""
    return argon2_verify(pin_hash, _keyed_pin(keyring, reference, pin))


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return argon2_hash("not a pin")


def spend_pin_check_time(pin: str) -> None:
    """Check ``pin`` against a dummy hash, so that an unknown reference costs
    as much time as a wrong PIN."""
    argon2_verify(_dummy_hash(), pin)


def new_tracking_token() -> str:
    return secrets.token_urlsafe(TRACKING_TOKEN_BYTES)


def tracking_token_index(keyring: Keyring, token: str) -> bytes:
    """HMAC-SHA256 of the token under the index key (32 bytes)."""
    mac = hmac.new(keyring.index_key, b"ticket-tracking:", hashlib.sha256)
    mac.update(token.encode("ascii", "replace"))
    return mac.digest()


def subject_index(keyring: Keyring, village_code: str, normalised_name: str) -> bytes:
    """Keyed digest of a subject described by hand (not from the registry):
    equal for the same name in the same village, to find duplicates."""
    mac = hmac.new(keyring.index_key, b"ticket-subject:", hashlib.sha256)
    mac.update(f"{village_code}\x00{normalised_name}".encode())
    return mac.digest()
