"""Which passwords a staff account may have (SECURITY.md AU1).

At least 12 characters, not one of the 30,000 most common passwords (the list
zxcvbn ships), not built from the email address, and rated at least 3 of 4 by
zxcvbn's estimate of how hard it is to guess.
"""

from __future__ import annotations

import functools

MIN_LENGTH = 12
MIN_SCORE = 3


@functools.cache
def _common() -> frozenset[str]:
    # zxcvbn loads its word lists on import (~20 ms): only the commands that
    # set a password need them, not every worker at start-up.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` is refused (an English sentence for the CLI), or None."""
    if len(password) < MIN_LENGTH:
        return f"use at least {MIN_LENGTH} characters"
    if password.lower() in _common():
        return "this is one of the most common passwords"
    local = email.split("@")[0].lower()
    if local and len(local) >= 4 and local in password.lower():
        return "do not build the password from the email address"
    from zxcvbn import zxcvbn

    if zxcvbn(password[:100], user_inputs=[email, local])["score"] < MIN_SCORE:
        return "too easy to guess: use a longer phrase of unrelated words"
    return None
