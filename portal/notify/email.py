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
import ssl
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
        #: The connection being opened (greeting, STARTTLS, login), for ``abort``.
        self._opening: smtplib.SMTP | None = None

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
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(timeout=self.timeout)
        smtp._host = self.host  # what SMTP(host) sets: the name TLS checks
        self._opening = smtp
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
        finally:
            self._opening = None
        self._smtp = smtp
        return smtp

    def abort(self) -> None:
        """Cut the session in flight (called from the worker's deadline thread)."""
        for smtp in (self._opening, self._smtp):
            shut_down(getattr(smtp, "sock", None))

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
