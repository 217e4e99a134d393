"""One rule for tests that need something outside Python (Chromium, Redis,
PostgreSQL): skip without it on a developer's machine, fail in CI, where
`.ci/run` and `make test` install and start all of them."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """``CI`` set to a true value (``true``, as CI services set it, or ``1``)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def missing(what: str, detail: str = "") -> NoReturn:
    """Fail in CI, skip elsewhere: ``what`` is not there."""
    if in_ci():
        pytest.fail(f"{what} is required in CI{': ' + detail if detail else ''}")
    pytest.skip(f"no {what}")
