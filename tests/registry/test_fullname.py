"""One comparison of full names for the lookup and the duplicate check
(``portal.registry.fullname``): spelling of punctuation, apostrophes and
titles does not matter; the name itself does. Expected values are written by
hand."""

from __future__ import annotations

import pytest

from portal.registry.fullname import normalise_name
from portal.tickets import references
from portal.tickets.service import find_open_duplicate
from tests.factories import VILLAGE
from tests.tickets import answers, submit


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Moh. Ade Sopyan", "moh ade sopyan"),
        ("Moh Ade Sopyan", "moh ade sopyan"),
        ("moh.ade  sopyan", "moh ade sopyan"),
        ("Ma'ruf Amin", "maruf amin"),
        ("Ma’ruf Amin", "maruf amin"),
        ("Siti-Aminah", "siti aminah"),
        ("H. Ahmad Yani", "ahmad yani"),
        ("Hj Siti Aminah", "siti aminah"),
        ("Prof. Dr. Ir. H. Budi Santoso, M.Sc.", "budi santoso"),
        ("Budi Santoso, S.Pd., M.Pd.", "budi santoso"),
        ("Budi Santoso S.Pd.I", "budi santoso"),
        ("Budi Santoso SPd", "budi santoso"),
        ("Budi Santoso,S.Pd.", "budi santoso"),  # a comma without a space
        ("H. Budi", "budi"),  # a title before a one-word name
        ("Budi S.Pd.", "budi"),  # and after one
        ("  BUDI\tSantoso ", "budi santoso"),
        ("Ｂｕｄｉ Santoso", "budi santoso"),  # full-width letters (NFKC)
        ("Straße", "strasse"),  # casefold, not lower
        ("STRASSE", "strasse"),
        # Not titles: a bare initial, a surname, abbreviations that are the name.
        ("H Budi", "h budi"),
        ("Budi H", "budi h"),
        ("Budi Ma", "budi ma"),
        ("M. Yusuf", "m yusuf"),
        ("Muhammad Ade Sopyan", "muhammad ade sopyan"),
        ("Rosmawati br. Sinaga", "rosmawati br sinaga"),
        # A lone title is the name as written.
        ("Dr.", "dr"),
        ("S.Pd.", "s pd"),
    ],
)
def test_normalised_full_names(typed, expected):
    assert normalise_name(typed) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Budi", "Budi Santoso"),  # a prefix is another name
        ("Budi Santoso", "Budi Santoso Putra"),
        ("Moh. Ade Sopyan", "Muhammad Ade Sopyan"),  # spellings are not equated
        ("Moh Ade Sopyan", "Mohammad Ade Sopyan"),
        ("Siti Aminah", "Siti Aminah Hj"),  # titles only in their place
    ],
)
def test_different_names_stay_different(a, b):
    assert normalise_name(a) != normalise_name(b)


def test_the_duplicate_check_compares_names_the_same_way(app_ctx, keyring, db_clean):
    """A request about "Moh. Ade Sopyan" is found by "Moh Ade Sopyan" in the
    same village: the ticket's subject index goes through normalise_name."""
    submit(keyring, answers(subject_name="H. Moh. Ade Sopyan, S.Pd."))

    def found(name: str):
        index = references.subject_index(keyring, VILLAGE, normalise_name(name))
        return find_open_duplicate("proposal", subject_index=index)

    assert found("Moh Ade Sopyan") is not None
    assert found("moh.ade sopyan") is not None
    assert found("Moh Ade") is None
