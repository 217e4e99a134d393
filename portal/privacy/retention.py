"""Retention (``flask retention run``, SECURITY.md PD2): issue 14 §5, in progress.

The worker (``portal.jobs``) calls ``run_retention()`` on its schedule.
"""

from __future__ import annotations

import datetime as dt


def run_retention(now: dt.datetime | None = None) -> dict[str, int]:
    """Purge what is past its retention period; counts by kind of thing removed."""
    raise NotImplementedError("retention: issue 14 §5, in progress")
