"""Every use of a partner key (SECURITY.md AU8): counted against the
partner's own budget (``PARTNER_LIMIT_PER_KEY``: past it 429 in the
specification's error format, with ``Retry-After``), and written to the
audit log, a refused request included."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.api.open311_fixtures import fields, make_partner, parsed, post, ticket_count
from tests.web.conftest import clean_limits  # noqa: F401 - autouse

pytestmark = pytest.mark.usefixtures("db_clean")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_past_its_budget_a_key_gets_429_and_another_key_does_not(app, client, monkeypatch, fmt):
    monkeypatch.setitem(app.config, "PARTNER_LIMIT_PER_KEY", "2 per hour")
    first_id, first = make_partner(app, "desa-app-jabar")
    _, second = make_partner(app, "lapor-nasional")
    assert post(client, fields(first), fmt).status_code == 201
    assert post(client, fields(first), fmt).status_code == 201
    refused = post(client, fields(first), fmt)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    [error] = parsed(refused, fmt)
    assert str(error["code"]) == "429" and error["description"]
    assert ticket_count(app) == 2
    # Another partner, from the same address, has its own budget.
    assert post(client, fields(second), fmt).status_code == 201
    with app.app_context():
        uses = db.session.scalars(
            select(AuditEntry.detail).where(AuditEntry.kind == "partner_api_use")
        ).all()
    assert uses.count(f"partner:{first_id}:post_request") == 2  # the refused one is no use


def test_every_use_is_an_audit_row_refused_requests_included(app, client):
    partner_id, key = make_partner(app)
    post(client, fields(key))
    post(client, fields(key, service_code="pothole"))  # 400
    post(client, fields(key, **{"attribute[subkind]": None}))  # 400
    post(client, fields(key, api_key="dtsen_wrong"))  # 403: no partner, no use
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.kind, AuditEntry.detail, AuditEntry.staff_id).order_by(AuditEntry.id)
        ).all()
    use = ("partner_api_use", f"partner:{partner_id}:post_request", None)
    assert [tuple(r) for r in rows] == [("partner_created", f"partner:{partner_id}", None)] + [
        use
    ] * 3
