"""Real receivers on 127.0.0.1 for the notification tests (reusable).

* ``smtp_server``: an aiosmtpd SMTP server; every message arrives whole in
  ``.messages`` (raw bytes and the parsed ``email.message.Message``).
  Recipients whose local part starts with ``refuse`` are refused with 550.
  Each ``Received`` has ``tls``: the TLS version the message came over, or None.
* ``test_ca`` (session): a CA made for the tests and a certificate it signed
  for 127.0.0.1 and localhost (``tls_certs.py``); ``starttls_server`` (STARTTLS
  required before MAIL) and ``smtps_server`` (TLS from the first byte) use it.
* ``sms_gateway``: an HTTP gateway like the one ``SMS_GATEWAY_URL`` names:
  it records every request in ``.requests`` and keeps the first of each
  ``idempotency_key`` in ``.delivered`` (repeats are answered 200 and
  dropped, as a real gateway would). Set ``.statuses`` (a list, consumed in
  order; then ``.default_status``) to answer errors, ``.delay`` (seconds) to
  answer slowly; ``.arrived`` is set when a request has come in.

Use a fixture in a test module by naming it there:
``from tests.notify import servers`` then ``smtp_server = servers.smtp_server``.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from tests.notify.tls_certs import LocalCa, make_local_ca

TOKEN = "test-gateway-token"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    #: The TLS version of the connection ("TLSv1.3"), None for plain text.
    tls: str | None = None

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, _server, _session, envelope, address, _options):
        if address.split("@")[0].startswith("refuse"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, _session, envelope):
        # After STARTTLS aiosmtpd swaps in the TLS transport: this is the one in use.
        tls = server.transport.get_extra_info("ssl_object")
        with self.server.lock:
            self.server.messages.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    envelope.original_content,
                    tls.version() if tls is not None else None,
                )
            )
        return "250 Message accepted for delivery"


class SmtpServer:
    """``starttls`` (a server SSLContext): offered and required before MAIL;
    ``implicit_tls``: TLS from the first byte (smtps)."""

    def __init__(
        self, starttls: ssl.SSLContext | None = None, implicit_tls: ssl.SSLContext | None = None
    ) -> None:
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self.controller: Controller | None = None
        self.starttls = starttls
        self.implicit_tls = implicit_tls

    def start(self) -> None:
        # aiosmtpd checks the server by connecting to its port: it needs a real one.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        tls = {"tls_context": self.starttls, "require_starttls": True} if self.starttls else {}
        self.controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            ssl_context=self.implicit_tls,
            **tls,
        )
        self.controller.start()

    @property
    def url(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"{scheme}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class SmsGateway:
    requests: list[dict] = field(default_factory=list)
    delivered: dict[str, dict] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)
    default_status: int = 200
    #: Seconds to wait before answering each request (a slow gateway).
    delay: float = 0
    arrived: threading.Event = field(default_factory=threading.Event)
    #: Client (host, port) of each request: one port for many = one kept-alive connection.
    peers: list[tuple] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive
            # Headers and body go out in two writes: without this, Nagle and
            # the client's delayed ACK add 40 ms to every request.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                record = {"headers": dict(self.headers), "body": body, "path": self.path}
                gateway.arrived.set()
                if gateway.delay:
                    time.sleep(gateway.delay)
                with gateway.lock:
                    gateway.requests.append(record)
                    gateway.peers.append(self.client_address)
                    status = gateway.statuses.pop(0) if gateway.statuses else gateway.default_status
                    if 200 <= status < 300:
                        gateway.delivered.setdefault(body["idempotency_key"], record)
                answer = b'{"ok": true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/send"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory) -> LocalCa:
    return make_local_ca(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def starttls_server(test_ca):
    server = SmtpServer(starttls=test_ca.server_context())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtps_server(test_ca):
    server = SmtpServer(implicit_tls=test_ca.server_context())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sms_gateway():
    gateway = SmsGateway()
    gateway.start()
    yield gateway
    gateway.stop()


# --- helpers for the outbox tests ------------------------------------------------------


def worker_config(app, **over) -> dict:
    """The app's settings with the channels off unless given (``SMTP_URL=…``)."""
    config = dict(app.config)
    config.update(SMTP_URL=None, SMS_GATEWAY_URL=None, SMS_GATEWAY_TOKEN=TOKEN)
    config.update(over)
    return config
