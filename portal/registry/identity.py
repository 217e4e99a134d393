"""A person's identity (NIK, full name, birth date) sealed as one AES-GCM
ciphertext in ``persons.identity_enc``.

One ciphertext instead of three: the fields are always needed together by
the office and the import encrypts millions of them, so each saved
encryption counts. The unit separator (U+001F) cannot occur in a valid row:
names with control characters are rejected at import.
"""

from __future__ import annotations

from typing import NamedTuple

from portal.crypto import Keyring

PURPOSE = b"person.identity"
SEPARATOR = "\x1f"


class Identity(NamedTuple):
    nik: str
    full_name: str
    birth_date: str  # YYYY-MM-DD


def seal_identity(keyring: Keyring, nik: str, full_name: str, birth_date: str) -> bytes:
    return keyring.encrypt(SEPARATOR.join((nik, full_name, birth_date)), PURPOSE)


def open_identity(keyring: Keyring, blob: bytes) -> Identity:
    nik, full_name, birth_date = keyring.decrypt(blob, PURPOSE).split(SEPARATOR)
    return Identity(nik, full_name, birth_date)
