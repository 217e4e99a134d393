"""Error pages: translated, generic, with an incident id for 500s
(SECURITY.md IV3). Nothing from the request (never a NIK) is echoed."""

from __future__ import annotations

import logging
import math
import secrets
import time

from flask import Flask, make_response, render_template
from limits.errors import StorageError
from werkzeug.exceptions import HTTPException

from portal.i18n import wait_words
from portal.web.api.open311 import formats

log = logging.getLogger("portal.errors")

#: Seconds a client should wait when a dependency (limiter storage) is down.
UNAVAILABLE_RETRY_AFTER = 30


def _limiter_retry_after() -> int:
    """Seconds until the breached Flask-Limiter limit resets."""
    from portal.ratelimit import limiter

    current = limiter.current_limit
    if current is None:
        return UNAVAILABLE_RETRY_AFTER
    return max(1, math.ceil(current.reset_at - time.time()))


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = exc.code or 500
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        if code == 429:
            headers.setdefault("Retry-After", str(_limiter_retry_after()))
            log.info("rate limited", extra={"event": {"event": "rate_limited"}})
        # A limit page says how long to wait, in words (issue 9 §2).
        if formats.is_api_request():
            response = formats.error_reply(code, exc.description or exc.name)
            response.headers.update(headers)
            return response
        retry_after = headers.get("Retry-After", "")
        wait = wait_words(int(retry_after)) if retry_after.isdigit() else None
        page = render_template("errors/http.html", code=code, wait=wait)
        response = make_response(page, code)
        response.headers.update(headers)
        return response

    @app.errorhandler(StorageError)
    def _limiter_storage_down(exc: StorageError):
        # Fail closed: without the limiter's storage nobody is served.
        log.error(
            "rate-limit storage unavailable",
            extra={"event": {"event": "limiter_down", "error": type(exc.storage_error).__name__}},
        )
        if formats.is_api_request():
            response = formats.error_reply(503, "Service temporarily unavailable: retry later.")
        else:
            wait = wait_words(UNAVAILABLE_RETRY_AFTER)
            page = render_template("errors/http.html", code=503, wait=wait)
            response = make_response(page, 503)
        response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
        return response

    @app.errorhandler(Exception)
    def _server_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        incident = secrets.token_hex(6)
        log.exception("unhandled error", extra={"event": {"incident": incident}})
        if formats.is_api_request():
            return formats.error_reply(500, f"Internal error; incident {incident}.")
        return render_template("errors/500.html", incident=incident), 500
