"""The bytes a shedding worker writes when its queue is full: a whole HTTP
response, rendered once per worker process at start.

The worker answers before it has parsed the request (that is the point: no
thread, no parsing, no database), so the page cannot depend on the request.
It is the app's own translated "service is busy" page (``errors/http.html``
with code 503, in the default language, Indonesian), with the security
headers every page carries (SECURITY.md IV2), ``Retry-After`` and
``Connection: close``. The app renders it through its usual response hooks,
so it looks and is protected like any other page.
"""

from __future__ import annotations

from flask import Flask, make_response, render_template

from portal.i18n import wait_words

#: Hooks' headers that belong to one request or would keep the connection.
_DROPPED = {"connection", "content-length", "set-cookie", "x-request-id", "transfer-encoding"}


def render(app: Flask, retry_after: int) -> bytes:
    """``HTTP/1.1 503`` with ``Retry-After: retry_after``, ready for ``sendall``."""
    with app.test_request_context("/"):
        page = render_template("errors/http.html", code=503, wait=wait_words(retry_after))
        response = app.process_response(make_response(page, 503))
        response.headers["Retry-After"] = str(retry_after)
        response.headers["Cache-Control"] = "no-store"
        body = response.get_data()
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _DROPPED]
    head = [b"HTTP/1.1 503 Service Unavailable"]
    head += [f"{k}: {v}".encode("latin-1") for k, v in headers]
    head += [f"Content-Length: {len(body)}".encode(), b"Connection: close", b"", b""]
    return b"\r\n".join(head) + body
