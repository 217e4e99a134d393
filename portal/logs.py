"""JSON log lines with a request id and UTC time (SECURITY.md LG1)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import sys

from flask import Flask, g, has_request_context, request


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "path"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        extra = getattr(record, "event", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


_base_factory = logging.getLogRecordFactory()

#: Request ids are drawn from consonants only: no digit can appear, so an id
#: never looks like a NIK or any other number in the logs (LG2), and without
#: vowels no word can be spelt. 18 of 19 letters: 76 random bits.
REQUEST_ID_ALPHABET = "bcdfghjkmnpqrstvwxz"
REQUEST_ID_LENGTH = 18


def new_request_id() -> str:
    return "".join(secrets.choice(REQUEST_ID_ALPHABET) for _ in range(REQUEST_ID_LENGTH))


def _record_with_request(*args, **kwargs) -> logging.LogRecord:
    """Stamp every record made during a request with its id and path, so
    the fields survive however late the record is formatted."""
    record = _base_factory(*args, **kwargs)
    if has_request_context():
        record.request_id = g.get("request_id")
        # The matched rule (/t/<token>), never the raw path: paths can carry
        # bearer tokens (tracking links).
        rule = request.url_rule
        record.path = rule.rule if rule is not None else "(unmatched)"
    return record


def init_app(app: Flask) -> None:
    if logging.getLogRecordFactory() is not _record_with_request:
        logging.setLogRecordFactory(_record_with_request)
    logger = logging.getLogger("portal")
    if not any(getattr(h, "_portal", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._portal = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    @app.before_request
    def _request_id():
        g.request_id = new_request_id()

    @app.after_request
    def _echo_request_id(response):
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-ID"] = rid
        return response
