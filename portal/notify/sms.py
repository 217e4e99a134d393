"""SMS through one generic HTTP gateway (``SMS_GATEWAY_URL``).

``POST`` JSON ``{"to": "+62…", "text": "…", "idempotency_key": "<event_id>"}``
with ``Authorization: Bearer <SMS_GATEWAY_TOKEN>``. 2xx: sent. 4xx except 408
and 429: refused for good (dead letter). 5xx, 408, 429 and network errors:
retried later. One keep-alive connection serves a round of messages; a
connection the gateway closed while idle is opened again once, at once
(the repeat carries the same key).
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import urllib.parse

from portal.notify import DeliveryError
from portal.notify.deadline import shut_down

TRANSIENT_4XX = (408, 429)


class SmsGateway:
    def __init__(self, url: str, token: str | None, timeout: float) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("SMS_GATEWAY_URL must be an http(s):// address")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.token = token
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        #: Set by ``abort`` until ``close``; a socket connected afterwards is
        #: cut at once (the abort came while it was still connecting).
        self._aborted = False
        #: The current connection's TCP socket, from the moment it is connected.
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()

    def send(self, to: str, text: str, event_id: str) -> None:
        body = json.dumps({"to": to, "text": text, "idempotency_key": event_id}).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": event_id}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        reused = self._conn is not None
        try:
            status = self._post(body, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            aborted = self._aborted
            self.close()
            if not reused or aborted:
                raise DeliveryError("sms gateway closed the connection") from None
            try:  # the idle keep-alive connection was closed: once more, fresh
                status = self._post(body, headers)
            except (http.client.HTTPException, OSError) as exc:
                self.close()
                raise DeliveryError(f"sms gateway {type(exc).__name__}") from None
        except (http.client.HTTPException, OSError) as exc:
            self.close()
            raise DeliveryError(f"sms gateway {type(exc).__name__}") from None
        if 200 <= status < 300:
            return
        permanent = 400 <= status < 500 and status not in TRANSIENT_4XX
        raise DeliveryError(f"sms gateway http {status}", permanent=permanent)

    def _post(self, body: bytes, headers: dict[str, str]) -> int:
        conn = self._connection()
        conn.request("POST", self.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()  # drain it, so the connection can carry the next one
        if response.will_close:
            self.close()
        return response.status

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self.https:
                self._conn = http.client.HTTPSConnection(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            # Hand the TCP socket over as soon as it is connected (before TLS).
            self._conn._create_connection = self._connect
        return self._conn

    def _connect(self, *args, **kwargs) -> socket.socket:
        sock = socket.create_connection(*args, **kwargs)
        with self._lock:
            self._socket = sock
            if self._aborted:  # the deadline passed while it was connecting
                shut_down(sock)
        return sock

    def abort(self) -> None:
        """Cut the call in flight (called from the worker's deadline thread).
        An abort while the connection is still being made cuts it as soon as
        it is made, rather than leaving the call to wait for its timeout."""
        with self._lock:
            self._aborted = True
            sockets = (self._socket, getattr(self._conn, "sock", None))
        for sock in sockets:
            shut_down(sock)

    def close(self) -> None:
        with self._lock:
            self._aborted = False
            self._socket = None
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
