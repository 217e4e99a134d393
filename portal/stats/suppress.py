"""Small-cell suppression (issue 13 §1, SECURITY.md PD5).

* A **count** under ``THRESHOLD`` (0 to 4) is suppressed.
* A **share, median or average** computed from fewer than ``THRESHOLD``
  tickets (its denominator: tickets counted for the share, tickets triaged
  or decided for a median, ratings for an average) is suppressed.
* **No recovery by subtraction** inside one table: where cells are shown
  with their total (tickets by kind, by status: their total is the scope's
  "submitted"), a lone suppressed cell would be the total minus the others,
  so ``protect`` suppresses the next smallest cell too (secondary
  suppression). Not done across tables or scopes: a province's total next
  to its offices can still give one suppressed office's count.

A suppressed cell is shown as "fewer than 5" ("kurang dari 5") in HTML and
as ``{"value": null, "suppressed": true}`` in JSON (an empty ``value`` and
``suppressed`` = ``true`` in CSV); a shown cell is ``{"value": …,
"suppressed": false}``. ``value`` is never null otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

THRESHOLD = 5


@dataclass(frozen=True)
class Cell:
    value: int | float | None
    suppressed: bool = False


HIDDEN = Cell(None, True)


def count(n: int) -> Cell:
    return HIDDEN if n < THRESHOLD else Cell(n)


def derived(value: int | float | None, base: int) -> Cell:
    """A share, median or average of ``base`` tickets."""
    return HIDDEN if base < THRESHOLD or value is None else Cell(value)


def protect(raw: dict[str, int]) -> dict[str, Cell]:
    """The cells of counts shown with their total: each count suppressed
    under the threshold, and when exactly one is, the smallest other one
    too (by count, then key), so that none is the total minus the rest."""
    cells = {key: count(n) for key, n in raw.items()}
    hidden = [key for key, cell in cells.items() if cell.suppressed]
    shown = sorted((n, key) for key, n in raw.items() if not cells[key].suppressed)
    if len(hidden) == 1 and shown:
        cells[shown[0][1]] = HIDDEN
    return cells
