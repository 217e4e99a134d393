"""Session cookies are signed as Flask signs them, without the zlib step."""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface

from portal.sessions import SessionInterface


def test_cookie_round_trip_without_compression(app):
    serializer = SessionInterface().get_signing_serializer(app)
    token = serializer.dumps({"lookup_household": 123, "csrf_token": "x" * 40})
    assert not token.startswith(".")  # "." marks a zlib payload
    assert serializer.loads(token) == {"lookup_household": 123, "csrf_token": "x" * 40}


def test_cookies_from_flasks_serializer_still_load(app):
    """A compressed cookie (as Flask's own interface writes long ones) reads back."""
    flask_serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    payload = {"note": "a" * 400}
    token = flask_serializer.dumps(payload)
    assert token.startswith(".")
    assert SessionInterface().get_signing_serializer(app).loads(token) == payload


def test_tampered_cookie_is_an_empty_session(app, client):
    client.get("/lookup")
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.set_cookie("session", cookie.value[:-2] + "xx")
    with client.session_transaction() as session:
        assert dict(session) == {}
