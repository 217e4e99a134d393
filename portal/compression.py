"""gzip or brotli for the app's text responses (pages, JSON), as the request's
Accept-Encoding asks; static files come precompressed from ``portal.assets``.

Fast settings (brotli quality 4, gzip level 6): a page is compressed on every
request. Responses under ``MIN_BYTES`` are sent as they are (the headers would
outweigh the saving), and streamed or file responses (evidence downloads,
receipts) are left alone. Every response that could be compressed says
``Vary: Accept-Encoding`` so caches keep the forms apart.

BREACH: pages that hold a secret (the CSRF token, a PIN, a tracking link) echo
nothing an attacker can choose from another site: every form is a
CSRF-protected POST, and Flask-WTF's token carries a timestamp, so it differs
from one second to the next.
"""

from __future__ import annotations

import gzip

import brotli
from flask import Flask, Response, request

MIN_BYTES = 1024
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/plain",
        "text/css",
        "text/csv",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
    }
)


def _encoding() -> str | None:
    accepted = request.accept_encodings
    for encoding in ("br", "gzip"):
        if accepted[encoding] > 0:
            return encoding
    return None


def compress(response: Response) -> Response:
    if (
        response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
        or response.mimetype not in COMPRESSIBLE
        or response.status_code < 200
        or response.status_code in (204, 206, 304)
    ):
        return response
    data = response.get_data()
    if len(data) < MIN_BYTES:
        return response
    response.vary.add("Accept-Encoding")
    encoding = _encoding()
    if encoding is None:
        return response
    if encoding == "br":
        packed = brotli.compress(data, quality=4)
    else:
        packed = gzip.compress(data, compresslevel=6, mtime=0)
    response.set_data(packed)
    response.headers["Content-Encoding"] = encoding
    etag, weak = response.get_etag()
    if etag:
        response.set_etag(f"{etag}-{encoding}", weak)
    return response


def init_app(app: Flask) -> None:
    app.after_request(compress)
