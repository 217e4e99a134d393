"""A fake hCaptcha siteverify endpoint on 127.0.0.1 (SECURITY.md HC1).

``FakeSiteverify`` answers every POST according to its ``mode`` and records
what it was sent. The ``siteverify`` fixture starts one and points the test
app's ``HCAPTCHA_*`` settings at it for the length of a test; import
``siteverify_fixture`` into a test module (or tests/conftest.py) to use it.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SITEKEY = "fake-sitekey-aaaa-bbbb-cccc"
SECRET = "0xfake-secret-never-log-me-qwerty"
HOSTNAME = "portal.example.id"

#: mode -> (HTTP status, body). ``slow`` and ``redirect`` are handled apart.
ANSWERS: dict[str, tuple[int, bytes]] = {
    "ok": (200, json.dumps({"success": True, "hostname": HOSTNAME}).encode()),
    "error": (
        200,
        json.dumps({"success": False, "error-codes": ["invalid-input-response"]}).encode(),
    ),
    "500": (500, b'{"success": true}'),
    "notjson": (200, b"<html>Service Unavailable</html>"),
    "string-true": (200, b'{"success": "true", "hostname": "portal.example.id"}'),
    "wrong-host": (200, json.dumps({"success": True, "hostname": "evil.example"}).encode()),
    "no-host": (200, b'{"success": true}'),
    "one": (200, b'{"success": 1, "hostname": "portal.example.id"}'),
    "not-object": (200, b'[{"success": true, "hostname": "portal.example.id"}]'),
    "no-success": (200, b'{"hostname": "portal.example.id"}'),
    "oversize": (
        200,
        json.dumps({"success": True, "hostname": HOSTNAME, "pad": "x" * 70_000}).encode(),
    ),
}
MODES = (*ANSWERS, "slow", "redirect")


@dataclass(frozen=True)
class Received:
    path: str
    form: dict[str, str]
    content_type: str


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("ascii", "replace")
        form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
        fake = self.server.fake
        fake.requests.append(Received(self.path, form, self.headers.get("Content-Type", "")))

        mode = fake.mode
        if mode == "slow":
            # Held until the client has given up or the fake is stopped.
            fake.release.wait(fake.slow_seconds)
            mode = "ok"
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, body = ANSWERS[mode]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # keep test output quiet


class _Server(ThreadingHTTPServer):
    fake: FakeSiteverify

    def handle_error(self, request, client_address):
        pass  # a slow answer written after the client hung up


class FakeSiteverify:
    def __init__(self, mode: str = "ok", slow_seconds: float = 10.0):
        self.mode = mode
        self.slow_seconds = slow_seconds
        self.requests: list[Received] = []
        self.release = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        # A short poll keeps shutdown() (and so every test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/siteverify"

    def start(self) -> FakeSiteverify:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(name="siteverify")
def siteverify_fixture(app, monkeypatch):
    """A running fake, with the app's hCaptcha settings pointed at it."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)  # 127.0.0.1 must be reached directly
    fake = FakeSiteverify().start()
    settings = {
        "HCAPTCHA_SITEKEY": SITEKEY,
        "HCAPTCHA_SECRET": SECRET,
        "HCAPTCHA_VERIFY_URL": fake.url,
        "HCAPTCHA_EXPECTED_HOSTNAME": HOSTNAME,
        "HCAPTCHA_TIMEOUT": 2,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    yield fake
    fake.stop()
