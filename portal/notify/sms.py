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
import ssl
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
        self._aborted = False

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
        return self._conn

    def abort(self) -> None:
        """Cut the call in flight (called from the worker's deadline thread)."""
        self._aborted = True
        conn = self._conn
        shut_down(getattr(conn, "sock", None))

    def close(self) -> None:
        self._aborted = False
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
