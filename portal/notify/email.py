"""Email over SMTP (``SMTP_URL``).

``smtp://[user:pass@]host[:port]``: STARTTLS when the server offers it
(``?starttls=1`` requires it, ``?starttls=0`` never); ``smtps://``: TLS from
the first byte (port 465 by default). The server's certificate and name are
always verified, against the system's CA store or, with ``SMTP_CA_FILE``,
against the CAs in that PEM file (a private relay's own CA); an untrusted
certificate is a failed try, never a message sent in clear. One connection serves a whole round
of messages and is opened again after an error.

Every message is multipart/alternative (plain text and a simple HTML
version), with ``Content-Language``, a ``Message-ID`` made from the
outbox ``event_id`` and ``X-Idempotency-Key: <event_id>``, so a repeat after
a crash can be recognised. A 5xx refusal of the recipient is permanent
(the message goes to the dead letter); everything else is retried.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
import urllib.parse
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from portal.notify import DeliveryError
from portal.notify.deadline import shut_down
from portal.notify.messages import Composed


class SmtpChannel:
    def __init__(
        self, url: str, mail_from: str, timeout: float, ca_file: str | None = None
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.user = urllib.parse.unquote(parts.username) if parts.username else None
        self.password = urllib.parse.unquote(parts.password or "")
        starttls = urllib.parse.parse_qs(parts.query).get("starttls", ["auto"])[0]
        self.starttls = {"0": "never", "1": "require"}.get(starttls, "auto")
        self.mail_from = mail_from
        self.domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
        self.timeout = timeout
        #: PEM file of the CAs to trust instead of the system store (None: the system's).
        self.ca_file = ca_file
        self._smtp: smtplib.SMTP | None = None
        #: The TCP socket of the current connection, known from the moment it
        #: is connected (before the greeting, TLS and login), for ``abort``.
        self._socket: socket.socket | None = None
        #: Set by ``abort`` until ``close``: a socket connected afterwards is
        #: cut at once (an abort that came while it was still connecting).
        self._aborted = False
        self._lock = threading.Lock()

    def send(self, to: str, content: Composed, event_id: str) -> None:
        message = self.build(to, content, event_id)
        try:
            smtp = self._connection()
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            permanent = bool(codes) and all(500 <= code < 600 for code in codes)
            reason = f"smtp recipient refused {codes[0] if codes else ''}".strip()
            raise DeliveryError(reason, permanent=permanent) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise DeliveryError(f"smtp error {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(f"smtp {type(exc).__name__}") from None

    def build(self, to: str, content: Composed, event_id: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = to
        message["Subject"] = content.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = f"<{event_id}@{self.domain}>"
        message["X-Idempotency-Key"] = event_id
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(content.text)
        message.add_alternative(content.html, subtype="html")
        # After the parts: making the message multipart moves Content-* headers into them.
        message["Content-Language"] = content.lang
        return message

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.tls:
            smtp: smtplib.SMTP = _SmtpSsl(self._connected, timeout=self.timeout, context=context)
        else:
            smtp = _Smtp(self._connected, timeout=self.timeout)
        smtp._host = self.host  # what SMTP(host) sets: the name TLS checks
        try:
            code, reply = smtp.connect(self.host, self.port)
            if code != 220:
                raise smtplib.SMTPConnectError(code, reply)
            smtp.ehlo()
            if not self.tls and self.starttls != "never":
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif self.starttls == "require":
                    raise DeliveryError("smtp server offers no STARTTLS")
            if self.user:
                smtp.login(self.user, self.password)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def _connected(self, sock: socket.socket) -> None:
        """A new connection's TCP socket, before a byte is read from it."""
        with self._lock:
            self._socket = sock
            if self._aborted:  # the deadline passed while it was connecting
                shut_down(sock)

    def abort(self) -> None:
        """Cut the session in flight (called from the worker's deadline thread),
        whatever it is waiting for: the greeting, TLS, the login or a reply.
        An abort while the connection is still being made cuts it as soon as
        it is made; under load, that moment came after a 0.2 s deadline, and
        the send then waited for its whole timeout."""
        with self._lock:
            self._aborted = True
            sockets = (self._socket, getattr(self._smtp, "sock", None))
        for sock in sockets:
            shut_down(sock)

    def close(self) -> None:
        with self._lock:
            self._aborted = False
            self._socket = None
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


class _Smtp(smtplib.SMTP):
    """``smtplib.SMTP`` that hands its TCP socket over as soon as it is
    connected (``SmtpChannel._connected``), so ``abort`` can cut the wait for
    the greeting."""

    def __init__(self, connected, **kwargs) -> None:
        self._on_connected = connected
        super().__init__(**kwargs)

    def _get_socket(self, host, port, timeout):
        sock = super()._get_socket(host, port, timeout)
        self._on_connected(sock)
        return sock


class _SmtpSsl(smtplib.SMTP_SSL):
    """The same for ``smtps://``: the plain socket is handed over before the
    TLS handshake, which a silent server would also leave hanging."""

    def __init__(self, connected, **kwargs) -> None:
        self._on_connected = connected
        super().__init__(**kwargs)

    def _get_socket(self, host, port, timeout):
        sock = smtplib.SMTP._get_socket(self, host, port, timeout)
        self._on_connected(sock)
        return self.context.wrap_socket(sock, server_hostname=self._host)
