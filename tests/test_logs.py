"""Request ids (portal/logs.py): they appear in every log line and response,
so they must never look like a NIK (SECURITY.md LG2)."""

from __future__ import annotations

import re

from portal import logs

ID = re.compile(r"[bcdfghjkmnpqrstvwxz]{18}")


def test_request_ids_can_never_hold_a_digit():
    # Not a sample: the alphabet itself has no digit, so no draw can produce one.
    assert not any(c.isdigit() for c in logs.REQUEST_ID_ALPHABET)
    ids = {logs.new_request_id() for _ in range(500)}
    assert len(ids) == 500
    assert all(ID.fullmatch(i) for i in ids)


def test_every_response_carries_a_letter_only_request_id(client):
    seen = {client.get("/healthz").headers["X-Request-ID"] for _ in range(20)}
    assert len(seen) == 20
    assert all(ID.fullmatch(i) for i in seen), seen
