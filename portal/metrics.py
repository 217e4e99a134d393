"""Prometheus metrics (issue 14 §4): the names every part records into.

The observability work fills these in with ``prometheus-client`` (multiprocess
mode under gunicorn); until then each call is a no-op, so other parts may
call them already. Keep each call cheap: they run on every request.
"""

from __future__ import annotations


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """One finished request: by matched route (never the raw path), method and status."""


def count_lookup(outcome: str) -> None:
    """One household lookup: ``found``, ``not_found``, ``invalid``, ``limited``, ``captcha``."""


def count_shed(reason: str = "queue_full") -> None:
    """One request answered 503 by load shedding before it reached the app."""
