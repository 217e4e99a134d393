"""portal.registry.lookup called directly (docs/testing.md, mutation testing).

The web tests see the lookup through its page; these pin what the page cannot
show on its own: the work done on each path (one decryption of a name whether
the NIK is known or not), a household a newer snapshot dropped, and every
programme. The lookup is two steps since the redirect (``find_household`` on
the POST, ``proven_status`` on the GET through a server-side proof);
``status_of`` runs both as the pages do. Expected values are the factory's
households written out by hand (tests/factories.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from portal.extensions import db
from portal.registry import lookup, proofs
from portal.registry.identity import open_identity
from portal.registry.importer import import_snapshot
from portal.registry.lookup import HouseholdStatus, Member, find_household, mask_name
from tests.factories import VILLAGE, household, write_csv

# household(kk, serial): NIK = district (6 digits) + DDMMYY (+40 for women) + serial
DISTRICT = VILLAGE.replace(".", "")[:6]
HEAD = f"{DISTRICT}150880" + "0001"  # Budi Santoso, born 1980-08-15
WIFE = f"{DISTRICT}420384" + "0001"  # Siti Aminah, born 1984-03-02
SECOND_HEAD = f"{DISTRICT}150880" + "0002"
UNKNOWN = f"{DISTRICT}150880" + "0009"


NOW = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)


def status_of(keyring, nik: str, name: str) -> HouseholdStatus | None:
    """The POST (``find_household``), the proof, then the GET (``proven_status``)."""
    household_id = find_household(keyring, nik, name)
    if household_id is None:
        return None
    token = proofs.new_token()
    proofs.prove(token, household_id, now=NOW)
    db.session.commit()  # the GET reads on its own connection
    return lookup.proven_status(keyring, token, NOW)


@pytest.fixture
def registry(app, tmp_path, db_clean):
    first = household("3201011503100001", 1, programs="PKH;SEMBAKO;PBI_JK", desil="3")
    second = household("3201011503100002", 2, desil="", programs="")
    with app.app_context():
        import_snapshot(write_csv(tmp_path / "s.csv", first + second), None)
    return tmp_path, first, second


@pytest.fixture
def opened(monkeypatch):
    """Counts the names decrypted (open_identity calls) by the lookup."""
    calls = []
    real = lookup.open_identity

    def counting(keyring, blob):
        calls.append(blob)
        return real(keyring, blob)

    monkeypatch.setattr(lookup, "open_identity", counting)
    return calls


def test_a_match_shows_the_whole_household(app_ctx, keyring, registry):
    status = status_of(keyring, HEAD, "Budi Santoso")
    assert status is not None
    assert status.in_registry is True
    assert status.desil == 3
    assert status.programs == ("PKH", "SEMBAKO", "PBI_JK")
    assert status.data_as_of == dt.date(2025, 3, 1)
    assert status.village_code == VILLAGE
    assert status.members == (
        Member("B*** S******", "kepala_keluarga"),
        Member("S*** A*****", "istri"),
        Member("A*** S******", "anak"),
    )


def test_a_member_finds_the_same_household(app_ctx, keyring, registry):
    assert find_household(keyring, WIFE, "siti aminah") == find_household(
        keyring, HEAD, "Budi Santoso"
    )
    assert find_household(keyring, SECOND_HEAD, "Budi Santoso") != find_household(
        keyring, HEAD, "Budi Santoso"
    )


def test_no_programmes_and_no_desil(app_ctx, keyring, registry):
    status = status_of(keyring, SECOND_HEAD, "Budi Santoso")
    assert status.programs == ()
    assert status.desil is None


@pytest.mark.parametrize(
    "typed", ["Budi", "Budi Santos", "Budi Santoso Jr", "Santoso Budi", "Siti Aminah", ""]
)
def test_only_the_whole_name_matches(app_ctx, keyring, registry, typed):
    assert status_of(keyring, HEAD, typed) is None


@pytest.mark.parametrize("typed", ["budi santoso", "  BUDI   Santoso ", "Ｂｕｄｉ Santoso"])
def test_case_spacing_and_width_do_not_matter(app_ctx, keyring, registry, typed):
    assert status_of(keyring, HEAD, typed) is not None


def test_unknown_nik_and_wrong_name_decrypt_one_name_each(app_ctx, keyring, registry, opened):
    assert status_of(keyring, UNKNOWN, "Budi Santoso") is None
    assert len(opened) == 1
    assert status_of(keyring, HEAD, "Budi Santosa") is None
    assert len(opened) == 2
    # a match opens the subject's name, then each of the three members'
    assert status_of(keyring, HEAD, "Budi Santoso") is not None
    assert len(opened) == 2 + 1 + 3


def test_the_unknown_nik_decrypts_a_real_ciphertext(app_ctx, keyring, registry, opened):
    """The dummy must cost a real AES-GCM decryption, not fail fast on its format."""
    status_of(keyring, UNKNOWN, "Budi Santoso")
    assert open_identity(keyring, opened[0]).full_name == "\u0000" * 24


def test_a_household_dropped_by_a_newer_snapshot_is_not_registered(app_ctx, keyring, registry):
    tmp_path, _first, second = registry
    import_snapshot(write_csv(tmp_path / "newer.csv", second), None)
    status = status_of(keyring, HEAD, "Budi Santoso")
    assert status is not None and status.in_registry is False
    assert status_of(keyring, SECOND_HEAD, "Budi Santoso").in_registry is True


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Budi Santoso", "B*** S******"),
        ("  Siti   Aminah ", "S*** A*****"),
        ("A", "A"),
        ("Moh. Ade", "M*** A**"),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked


def test_the_dummy_ciphertext_is_made_once_per_keyring(
    app_ctx, keyring, registry, opened, monkeypatch
):
    """An unknown NIK must not cost an extra encryption a known NIK does not."""
    sealed = []
    real_seal = lookup.seal_identity

    def counting_seal(*args):
        sealed.append(args)
        return real_seal(*args)

    monkeypatch.setattr(lookup, "seal_identity", counting_seal)
    status_of(keyring, UNKNOWN, "Budi Santoso")  # makes it if not made yet
    sealed.clear()
    for _ in range(3):
        assert status_of(keyring, UNKNOWN, "Budi Santoso") is None
    assert sealed == []
    assert opened[1] is opened[2] is opened[3]


def test_a_snapshot_date_from_postgresql_is_kept():
    """PostgreSQL returns a date, SQLite the ISO text; both are the same day."""
    assert lookup._as_date(dt.date(2025, 3, 1)) == dt.date(2025, 3, 1)
    assert lookup._as_date("2025-03-01") == dt.date(2025, 3, 1)


def test_a_household_of_one_person(app, app_ctx, keyring, tmp_path, db_clean):
    """An elderly person living alone: one row, nothing to read past it."""
    alone = household("3201011503100003", 3)[:1]
    import_snapshot(write_csv(tmp_path / "alone.csv", alone), None)
    status = status_of(keyring, f"{DISTRICT}150880" + "0003", "Budi Santoso")
    assert status is not None
    assert status.members == (Member("B*** S******", "kepala_keluarga"),)
    assert status.programs == ("PKH", "SEMBAKO") and status.in_registry is True


@pytest.mark.parametrize("typed", ["xxxx", "XXXX", "None", "0"])
def test_a_stored_name_that_cannot_be_opened_matches_nothing(app_ctx, keyring, typed):
    assert lookup._names_match(keyring, b"not a ciphertext at all", typed) is False


def test_the_result_is_the_household_the_proof_names(app_ctx, keyring, registry):
    first = find_household(keyring, HEAD, "Budi Santoso")
    second = find_household(keyring, SECOND_HEAD, "Budi Santoso")
    assert isinstance(first, int) and first != second
    assert status_of(keyring, HEAD, "Budi Santoso").household_id == first
    assert status_of(keyring, SECOND_HEAD, "Budi Santoso").household_id == second


def test_the_proof_ends_at_its_expiry(app, app_ctx, keyring, registry):
    """LOOKUP_PROOF_MINUTES after the lookup, to the microsecond."""
    token = proofs.new_token()
    proofs.prove(token, find_household(keyring, HEAD, "Budi Santoso"), now=NOW)
    db.session.commit()
    end = NOW + dt.timedelta(minutes=app.config["LOOKUP_PROOF_MINUTES"])
    assert app.config["LOOKUP_PROOF_MINUTES"] == 30
    assert lookup.proven_status(keyring, token, end - dt.timedelta(microseconds=1)) is not None
    assert lookup.proven_status(keyring, token, end) is None
    assert lookup.proven_status(keyring, None, NOW) is None
    assert lookup.proven_status(keyring, "", NOW) is None
