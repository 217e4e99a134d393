"""portal.tickets.references on its own (docs/testing.md, mutation testing).

Expected values are written out by hand or computed here from the documented
construction (HMAC-SHA256 under the index key with a fixed label), so a change
to a label, a separator or the alphabet fails: stored PIN hashes and tracking
digests must keep opening after an upgrade.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest

from portal.crypto import Keyring, argon2_verify
from portal.tickets import references
from portal.tickets.references import (
    REFERENCE_ALPHABET,
    hash_pin,
    new_pin,
    new_reference,
    new_tracking_token,
    parse_reference,
    spend_pin_check_time,
    subject_index,
    tracking_token_index,
    verify_pin,
)

INDEX_KEY = bytes(range(32))
KEYRING = Keyring(INDEX_KEY, {1: b"\x01" * 32}, 1)
OTHER_KEYRING = Keyring(bytes(range(1, 33)), {1: b"\x01" * 32}, 1)


def _hmac(label: bytes, message: bytes) -> bytes:
    return hmac.new(INDEX_KEY, label + message, hashlib.sha256).digest()


def test_the_alphabet_leaves_out_0_o_1_i_l():
    assert REFERENCE_ALPHABET == "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    assert len(REFERENCE_ALPHABET) == 31


def test_new_references_use_every_character_in_both_groups():
    refs = [new_reference() for _ in range(300)]
    for ref in refs:
        assert len(ref) == 12
        assert ref[:3] == "DT-" and ref[7] == "-"
        assert set(ref[3:7] + ref[8:]) <= set(REFERENCE_ALPHABET)
    # 300 x 4 draws per group: a character missing by chance has odds ~1e-15
    assert {c for r in refs for c in r[3:7]} == set(REFERENCE_ALPHABET)
    assert {c for r in refs for c in r[8:]} == set(REFERENCE_ALPHABET)
    assert len(set(refs)) == len(refs)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("DT-7KQ4-M9XW", "DT-7KQ4-M9XW"),
        ("dt 7kq4 m9xw", "DT-7KQ4-M9XW"),
        ("  dt_7kq4.m9xw ", "DT-7KQ4-M9XW"),
        ("7KQ4M9XW", "DT-7KQ4-M9XW"),
        ("7kq4-m9xw", "DT-7KQ4-M9XW"),
        # eight characters that start with D and T are the characters themselves
        ("DT7KQ4M9", "DT-DT7K-Q4M9"),
        ("DTDT7KQ4M9", "DT-DT7K-Q4M9"),
    ],
)
def test_parse_reference_reads_what_people_type(typed, expected):
    assert parse_reference(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        None,
        "",
        "DT",
        "DT-7KQ4-M9X",  # seven
        "DT-7KQ4-M9XWZ",  # nine
        "XX7KQ4M9XW",  # ten without DT
        "DT-0KQ4-M9XW",  # 0 is not in the alphabet
        "DT-7KQ4-M9XI",  # nor I
        "DT-7KQ4/M9XW",  # a slash is no separator
        "DT-7KQ4-M9X!",
    ],
)
def test_parse_reference_refuses_what_cannot_be_one(typed):
    assert parse_reference(typed) is None


def test_a_pin_is_six_digits_with_leading_zeros(monkeypatch):
    asked = []

    def fake_randbelow(n):
        asked.append(n)
        return 42

    monkeypatch.setattr(references.secrets, "randbelow", fake_randbelow)
    assert new_pin() == "000042"
    assert asked == [1_000_000]


def test_real_pins_are_six_digits():
    for _ in range(50):
        pin = new_pin()
        assert len(pin) == 6 and pin.isdigit()


def test_the_pin_hash_is_argon2id_of_the_keyed_pin():
    pin_hash = hash_pin(KEYRING, "DT-7KQ4-M9XW", "012345")
    keyed = _hmac(b"ticket-pin:", b"DT-7KQ4-M9XW:012345").hex()
    assert pin_hash.startswith("$argon2id$")
    assert argon2_verify(pin_hash, keyed)
    assert not argon2_verify(pin_hash, "012345")  # never the bare PIN
    assert verify_pin(KEYRING, "DT-7KQ4-M9XW", "012345", pin_hash)


@pytest.mark.parametrize(
    ("keyring", "reference", "pin"),
    [
        (KEYRING, "DT-7KQ4-M9XW", "012346"),
        (KEYRING, "DT-7KQ4-M9XX", "012345"),
        (OTHER_KEYRING, "DT-7KQ4-M9XW", "012345"),
        (KEYRING, "DT-7KQ4-M9XW", "٠١٢٣٤٥"),  # Arabic-Indic digits: no error, no match
    ],
)
def test_a_pin_opens_only_its_own_ticket(keyring, reference, pin):
    pin_hash = hash_pin(KEYRING, "DT-7KQ4-M9XW", "012345")
    assert verify_pin(keyring, reference, pin, pin_hash) is False


def test_a_malformed_pin_hash_is_a_mismatch():
    assert verify_pin(KEYRING, "DT-7KQ4-M9XW", "012345", "not a hash") is False


def test_an_unknown_reference_costs_one_argon2_verification(monkeypatch):
    calls = []

    def counting_verify(secret_hash, secret):
        calls.append((secret_hash, secret))
        return argon2_verify(secret_hash, secret)

    monkeypatch.setattr(references, "argon2_verify", counting_verify)
    spend_pin_check_time("123456")
    assert len(calls) == 1
    dummy_hash, secret = calls[0]
    assert dummy_hash.startswith("$argon2id$") and secret == "123456"


def test_tracking_tokens_are_22_url_safe_characters():
    tokens = {new_tracking_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert references.TRACKING_TOKEN_PATTERN.fullmatch(token)


def test_the_tracking_digest_is_the_labelled_hmac():
    token = "AbCdEfGhIjKlMnOpQrStUv"
    assert tracking_token_index(KEYRING, token) == _hmac(b"ticket-tracking:", token.encode())
    assert len(tracking_token_index(KEYRING, "ü" * 22)) == 32  # non-ASCII: no error


def test_the_subject_digest_separates_village_and_name():
    assert subject_index(KEYRING, "3201010001", "budi santoso") == _hmac(
        b"ticket-subject:", b"3201010001\x00budi santoso"
    )
    # the separator keeps "village + name" pairs apart
    assert subject_index(KEYRING, "32010100011", "budi") != subject_index(
        KEYRING, "3201010001", "1budi"
    )
