"""The error the ticket services raise for answers that cannot be kept."""

from __future__ import annotations


class InvalidAnswers(ValueError):
    """The answers cannot make a ticket or a draft (the forms should have caught it).

    ``code`` names the few refusals a page can explain in words (the message
    is for logs and tests, in English): ``too_many_files``, ``not_operator``,
    ``not_own_village``, ``consent_missing``; None for the others."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
