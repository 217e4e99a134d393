"""Readiness (``/readyz``, issue 14 §4): can this server do its work now?

A load balancer stops sending requests to a server whose readiness fails, and
starts again when it passes. Each dependency a request needs is tried once,
cheaply, with a short timeout: the database (``SELECT 1``), Redis when
``REDIS_URL`` is configured (``PING``: the rate limits fail closed without
it), and the evidence storage (``storage().ping()``: can it be written).

The answer names which dependency failed, never why: an exception's text can
hold a host, a user or a path. The log line has the exception's class only.
"""

from __future__ import annotations

import logging

import redis
from flask import current_app
from sqlalchemy import text

from portal.extensions import db, once_per_app

log = logging.getLogger("portal.readiness")
#: Seconds a Redis connect or reply may take before Redis counts as down.
REDIS_TIMEOUT = 1.0


def _database() -> None:
    try:
        db.session.execute(text("SELECT 1"))
    finally:
        db.session.rollback()


def _redis_client() -> redis.Redis:
    return redis.Redis.from_url(
        current_app.config["REDIS_URL"],
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
    )


def _redis() -> None:
    once_per_app("readiness_redis", _redis_client).ping()


def _storage() -> None:
    from portal.storage import storage

    storage().ping()


def check() -> dict[str, str]:
    """``{dependency: "ok" | "failed"}`` for each configured dependency."""
    checks = [("database", _database)]
    if current_app.config.get("REDIS_URL"):
        checks.append(("redis", _redis))
    checks.append(("storage", _storage))
    results = {}
    for name, probe in checks:
        try:
            probe()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            results[name] = "failed"
            event = {"event": "not_ready", "dependency": name, "error": type(exc).__name__}
            log.warning("not ready", extra={"event": event})
    return results
