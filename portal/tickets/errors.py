"""The error the ticket services raise for answers that cannot be kept."""

from __future__ import annotations


class InvalidAnswers(ValueError):
    """The answers cannot make a ticket or a draft (the forms should have caught it)."""
