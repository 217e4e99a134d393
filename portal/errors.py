"""Error pages: translated, generic, with an incident id for 500s."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

log = logging.getLogger("portal.errors")


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = exc.code or 500
        return render_template("errors/http.html", code=code), code

    @app.errorhandler(Exception)
    def _server_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        incident = secrets.token_hex(6)
        log.exception("unhandled error", extra={"event": {"incident": incident}})
        return render_template("errors/500.html", incident=incident), 500
