"""The session cookie, signed as Flask signs it, without zlib.

itsdangerous' URL-safe serializer tries ``zlib.compress`` on every payload and
keeps the result only when it is shorter. Our sessions hold a CSRF token, a
household id and a draft reference: a few dozen bytes, which never get
shorter, so every session write paid for a compression it threw away (~40 µs,
on every lookup that shows a result). Cookies are read exactly as before, and
a compressed cookie (``.``-prefixed) still loads.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer


class UncompressedSerializer(URLSafeTimedSerializer):
    def dump_payload(self, obj) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions (same keys, salt, fallbacks, signer)."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Built once per secret key (Flask builds one per call, twice a request)."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = app.extensions.get("portal_session_serializer")
        if cached is not None and cached[0] == keys:
            return cached[1]
        signer = super().get_signing_serializer(app)
        if signer is None:
            return None
        serializer = UncompressedSerializer(
            signer.secret_keys,
            salt=signer.salt,
            serializer=signer.serializer,
            signer_kwargs=signer.signer_kwargs,
        )
        app.extensions["portal_session_serializer"] = (keys, serializer)
        return serializer

    def save_session(self, app: Flask, session, response) -> None:
        """Machine APIs (Open311, /api/) keep no session: never a cookie."""
        from portal.web.api.open311.formats import is_api_request

        if is_api_request():
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
