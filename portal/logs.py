"""JSON log lines with a request id and UTC time (SECURITY.md LG1), and one
line per finished request (issue 14 §4).

The request line names the matched rule (``/t/<token>``), never the raw
path: paths can carry bearer tokens (tracking links, invitations). It is
written from Flask's ``request_finished`` signal, after every
``after_request`` hook (compression included), so its latency is the app's
whole work on the request; the body's transfer is the server's. It runs on
every lookup, so it costs one dict and one ``logging`` call. The health
probes (``/healthz``, ``/readyz``, ``/metrics``: ``portal.web.ops``) are
counted in the metrics but not logged: load balancers poll them every few
seconds.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import sys
import time
from time import perf_counter

from flask import Flask, g, has_request_context, request, request_finished

from portal import metrics

#: Anything but a string, a number, a boolean or None (rare): the full encoder.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
#: JSON string literals, non-ASCII kept as is (C, as ``json.dumps(ensure_ascii=False)``).
_STRING = json.encoder.encode_basestring


def _json_value(value) -> str:
    kind = type(value)
    if kind is str:
        return _STRING(value)
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if value is None:
        return "null"
    return _ENCODER.encode(value)  # booleans, NaN, nested values, anything (str())


def json_line(entry: dict) -> str:
    """``json.dumps(entry, ensure_ascii=False, default=str)`` for a flat dict
    of strings and numbers, several times faster (the line runs per request)."""
    return "{" + ",".join([f"{_STRING(str(k))}:{_json_value(v)}" for k, v in entry.items()]) + "}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Cheap, as it runs on every request: the
    time's second is formatted once per second, and flat values are written
    without the general encoder (``json_line``)."""

    _second: tuple[int, str] = (-1, "")

    def _time(self, created: float) -> str:
        """``datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")``."""
        second, micros = divmod(round(created * 1_000_000), 1_000_000)
        if self._second[0] != second:
            self._second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        return f"{self._second[1]}.{micros // 1000:03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self._time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        extra = getattr(record, "event", None)
        for key in ("request_id", "path"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if isinstance(extra, dict):
            if "route" in extra:  # the request line names the same rule once
                entry.pop("path", None)
            entry.update(extra)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json_line(entry)


_base_factory = logging.getLogRecordFactory()

#: Request ids are drawn from consonants only: no digit can appear, so an id
#: never looks like a NIK or any other number in the logs (LG2), and without
#: vowels no word can be spelt. 18 of 19 letters: 76 random bits.
REQUEST_ID_ALPHABET = "bcdfghjkmnpqrstvwxz"
REQUEST_ID_LENGTH = 18


#: Random bytes below this map evenly onto the alphabet (13 × 19 = 247).
_UNBIASED = 256 - 256 % len(REQUEST_ID_ALPHABET)


def new_request_id() -> str:
    """One ``token_bytes`` call per id instead of 18 ``secrets.choice`` calls
    (it runs on every request): bytes ≥ 247 are dropped so that every letter
    is equally likely, and drawn again in the rare case too few are left."""
    letters: list[str] = []
    while len(letters) < REQUEST_ID_LENGTH:
        for byte in secrets.token_bytes(REQUEST_ID_LENGTH + 6):
            if byte < _UNBIASED:
                letters.append(REQUEST_ID_ALPHABET[byte % len(REQUEST_ID_ALPHABET)])
    return "".join(letters[:REQUEST_ID_LENGTH])


#: The per-request line's logger (``portal.request``).
request_log = logging.getLogger("portal.request")

#: The route of a request that matched no rule (404, or 405 before matching).
UNMATCHED = "(unmatched)"

#: Endpoints polled by machines every few seconds: counted, not logged.
QUIET_ENDPOINTS = frozenset({"ops.healthz", "ops.readyz", "ops.scrape"})


def _record_with_request(*args, **kwargs) -> logging.LogRecord:
    """Stamp every record made during a request with its id and path, so
    the fields survive however late the record is formatted."""
    record = _base_factory(*args, **kwargs)
    if has_request_context():
        record.request_id = g.get("request_id")
        # The matched rule (/t/<token>), never the raw path: paths can carry
        # bearer tokens (tracking links).
        rule = request.url_rule
        record.path = rule.rule if rule is not None else UNMATCHED
    return record


def _metrics_failed() -> None:
    """Said once per process: the counts stop, the requests go on."""
    global _metrics_broken
    if not _metrics_broken:
        _metrics_broken = True
        logging.getLogger("portal.metrics").exception("metrics: a request could not be counted")


_metrics_broken = False


def _request_finished(sender: Flask, response, **_extra) -> None:
    """The request line and the request metrics, once the response is final."""
    started = g.get("request_started")
    if started is None:  # an app without ``init_app`` (tests build bare ones)
        return
    seconds = perf_counter() - started
    rule = request.url_rule
    route = rule.rule if rule is not None else UNMATCHED
    status = response.status_code
    method = request.method
    try:
        metrics.observe_request(route, method, status, seconds)
    except Exception:  # noqa: BLE001 - a full metrics directory must not fail requests
        _metrics_failed()
    if rule is not None and rule.endpoint in QUIET_ENDPOINTS:
        return
    if request_log.isEnabledFor(logging.INFO):
        event = {
            "event": "request",
            "route": route,
            "method": method,
            "status": status,
            "latency_ms": round(seconds * 1000, 1),
        }
        request_log.info("request", extra={"event": event})


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

    # A module-level receiver (blinker holds it weakly), for every app.
    request_finished.connect(_request_finished)

    @app.before_request
    def _request_id():
        g.request_started = perf_counter()
        g.request_id = new_request_id()

    @app.after_request
    def _echo_request_id(response):
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-ID"] = rid
        return response
