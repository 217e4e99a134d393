"""Suppression rules at the threshold, on hand-made cells."""

from __future__ import annotations

from portal.stats.suppress import HIDDEN, Cell, count, derived, protect


def test_counts_at_4_and_5():
    assert count(4) == HIDDEN
    assert count(0) == HIDDEN
    assert count(5) == Cell(5)


def test_shares_medians_averages_from_4_and_5_tickets():
    assert derived(50.0, 4) == HIDDEN
    assert derived(50.0, 5) == Cell(50.0)
    assert derived(None, 7) == HIDDEN


def test_protect_one_hidden_cell_takes_the_smallest_other():
    assert protect({"a": 4, "b": 9, "c": 6, "d": 30}) == {
        "a": HIDDEN,
        "b": Cell(9),
        "c": HIDDEN,
        "d": Cell(30),
    }


def test_protect_leaves_tables_without_or_with_several_hidden_cells():
    assert protect({"a": 5, "b": 9}) == {"a": Cell(5), "b": Cell(9)}
    assert protect({"a": 1, "b": 0, "c": 7}) == {"a": HIDDEN, "b": HIDDEN, "c": Cell(7)}
    assert protect({"a": 3}) == {"a": HIDDEN}
