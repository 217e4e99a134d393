"""SECURITY.md AU1: staff passwords and ticket PINs are hashed with Argon2id
at the RFC 9106 "low memory" profile: 64 MiB (65,536 KiB), 3 passes, 4 lanes.

The rest of the suite hashes at the smallest cost (tests/conftest.py,
``cheap_argon2_for_the_suite``); these tests check the cost production uses,
in this process (``real_argon2``) and in a fresh one that no test fixture
has touched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from portal.crypto import argon2_hash, argon2_verify
from portal.staff.accounts import hash_password
from portal.tickets.references import _dummy_hash, hash_pin

#: RFC 9106 §4, second recommended option, as argon2-cffi writes it in a hash.
PRODUCTION_COST = "$argon2id$v=19$m=65536,t=3,p=4$"
ROOT = Path(__file__).resolve().parents[1]


def test_a_fresh_process_hashes_at_the_production_cost():
    out = subprocess.run(
        [sys.executable, "-c", "from portal.crypto import argon2_hash; print(argon2_hash('x'))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith(PRODUCTION_COST)


def test_passwords_pins_and_the_dummy_hash_use_the_production_cost(real_argon2, keyring):
    password = hash_password("a long staff passphrase")
    pin = hash_pin(keyring, "DT-7KQ4-M9XW", "012345")
    for stored in (password, pin, _dummy_hash()):
        assert stored.startswith(PRODUCTION_COST)
    assert argon2_verify(password, "a long staff passphrase")
    assert not argon2_verify(password, "a long staff passphrasE")


def test_the_suite_hashes_cheaply_elsewhere():
    """The fixture above put the cheap cost back (a slow suite is the only risk)."""
    assert not argon2_hash("x").startswith(PRODUCTION_COST)
