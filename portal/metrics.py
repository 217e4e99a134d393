"""Prometheus metrics (issue 14 §4): what every process counts, and the scrape.

Counted in the process that served the request (cheap: a dict lookup and two
increments per request; the children are cached by their labels):

* ``portal_http_requests_total{route,method,status}`` and
  ``portal_http_request_duration_seconds{route,method}`` (a histogram), by the
  matched rule, never the raw path (paths can carry tracking tokens);
* ``portal_lookups_total{outcome}``, the outcomes the lookup logs;
* ``portal_http_refused_total{status,reason}``: 429s (``rate_limit``), 503s
  the app answered (``unavailable``), and 503s load shedding answered before
  the app (``count_shed``'s reason, e.g. ``queue_full``).

Computed at scrape time from the database (``portal.metrics_gauges``):
tickets by status, the oldest open ticket per office, the outbox backlog and
lag, each periodic job's last success.

Several processes (gunicorn workers): set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty directory of their own before the server starts. ``prometheus-client``
reads it at import and each process then writes its counts to files there,
which a scrape (in any of the processes, or ``flask metrics serve``) sums.
Without it each worker would answer with its own counts only. Gunicorn hooks:
``on_starting`` empties the directory, ``child_exit`` marks a worker dead
(docs/operations.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess

prometheus_client.disable_created_metrics()

#: Seconds; the lookup's p99 target is 150 ms (PERFORMANCE.md).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Any other method (a client may send any token) is counted as ``other``.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: ``count_lookup``'s outcomes: the words ``portal.web.public.lookup`` logs.
#: The contract's first names are accepted too (``found`` is ``match``, …).
LOOKUP_OUTCOMES = frozenset({"match", "no_match", "invalid", "captcha_failed", "limited"})
_OUTCOME_ALIASES = {"found": "match", "not_found": "no_match", "captcha": "captcha_failed"}


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


if multiprocess_dir():  # a process started before the server's ``on_starting``
    Path(multiprocess_dir()).mkdir(mode=0o700, parents=True, exist_ok=True)


#: The counts of this process when it is the only one (no multiprocess
#: directory); in multiprocess mode the counts live in the directory's files.
LIVE = CollectorRegistry(auto_describe=True)
_registry = None if multiprocess_dir() else LIVE

REQUESTS = Counter(
    "portal_http_requests",
    "Finished requests by matched route, method and status.",
    ("route", "method", "status"),
    registry=_registry,
)
LATENCY = Histogram(
    "portal_http_request_duration_seconds",
    "The app's time on a request (routing to the last after_request hook), by route.",
    ("route", "method"),
    buckets=LATENCY_BUCKETS,
    registry=_registry,
)
LOOKUPS = Counter(
    "portal_lookups",
    "Household lookups by outcome (POST /lookup).",
    ("outcome",),
    registry=_registry,
)
REFUSED = Counter(
    "portal_http_refused",
    "Requests refused: 429 (rate limits) and 503 (a dependency down, or shed load).",
    ("status", "reason"),
    registry=_registry,
)

_children: dict[tuple[str, str, int], tuple] = {}


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """One finished request: by matched route (never the raw path), method and status."""
    key = (route, method, status)
    pair = _children.get(key)
    if pair is None:
        label_method = method if method in METHODS else "other"
        pair = (
            REQUESTS.labels(route, label_method, str(status)),
            LATENCY.labels(route, label_method),
        )
        _children[key] = pair
    pair[0].inc()
    pair[1].observe(seconds)
    if status == 429:
        REFUSED.labels("429", "rate_limit").inc()
    elif status == 503:
        REFUSED.labels("503", "unavailable").inc()


def count_lookup(outcome: str) -> None:
    """One household lookup: ``match``, ``no_match``, ``invalid``,
    ``captcha_failed``, ``limited`` (anything else counts as ``other``)."""
    outcome = _OUTCOME_ALIASES.get(outcome, outcome)
    LOOKUPS.labels(outcome if outcome in LOOKUP_OUTCOMES else "other").inc()


def count_shed(reason: str = "queue_full") -> None:
    """One request answered 503 by load shedding before it reached the app."""
    REFUSED.labels("503", reason).inc()


class _Live:
    """This process's own counts, as one collector of a scrape's registry."""

    def collect(self):
        yield from LIVE.collect()


def exposition(extra_collectors=()) -> bytes:
    """The text a scrape answers: the request counts (every process's in
    multiprocess mode) and ``extra_collectors`` (the database gauges)."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Live())
    for collector in extra_collectors:
        registry.register(collector)
    return prometheus_client.generate_latest(registry)


CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST


# Gunicorn server hooks (``gunicorn.conf.py``: ``on_starting = metrics.on_starting``,
# ``child_exit = metrics.child_exit``).


def on_starting(_server=None) -> None:
    """Empty the multiprocess directory: counts start again at a server's
    start (Prometheus handles counter resets), and old workers' files go."""
    path = multiprocess_dir()
    if not path:
        return
    Path(path).mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in Path(path).glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(_server, worker) -> None:
    """A worker ended: its live gauges go (its counts stay, summed)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(worker.pid)
