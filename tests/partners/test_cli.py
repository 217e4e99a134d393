"""``flask partners create|list|revoke`` (SECURITY.md AU8): the key alone on
the last line, shown once and stored hashed; the list; a revoked key is
refused at once. Each change is an audit row."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.partners.models import Partner
from tests.api.open311_fixtures import fields, parsed, post, ticket_count
from tests.web.conftest import clean_limits  # noqa: F401 - autouse

pytestmark = pytest.mark.usefixtures("db_clean")
KEY = re.compile(r"dtsen_[A-Za-z0-9_-]{43}")


def flask(app, *args: str):
    return app.test_cli_runner().invoke(args=["partners", *args])


def create(app, name: str) -> str:
    result = flask(app, "create", name)
    assert result.exit_code == 0, result.output
    last = result.output.rstrip("\n").split("\n")[-1]
    assert KEY.fullmatch(last), "the key alone on the last line"
    return last


def database_dump(app) -> bytes:
    """Every value of every row of every table, as bytes."""
    out = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                for value in row:
                    out.append(value if isinstance(value, bytes) else str(value).encode())
    return b"\x00".join(out)


def test_create_prints_the_key_once_and_stores_only_its_hash(app):
    key = create(app, "desa-app-jabar")
    dump = database_dump(app)
    assert key.encode() not in dump
    assert key[len("dtsen_") :].encode() not in dump  # not even without its prefix
    with app.app_context():
        partner = db.session.scalar(select(Partner).where(Partner.name == "desa-app-jabar"))
        assert bytes(partner.key_hash) == hashlib.sha256(key.encode()).digest()
        assert partner.key_prefix == key[:12] and partner.revoked_at is None
        audit = db.session.execute(select(AuditEntry.kind, AuditEntry.detail, AuditEntry.staff_id))
        assert list(audit) == [("partner_created", f"partner:{partner.id}", None)]
    assert create(app, "lapor-nasional") != key


@pytest.mark.parametrize("name", ["x", "Desa App", ".leading", "a" * 65, "nama/miring", ""])
def test_a_bad_name_is_refused(app, name):
    result = flask(app, "create", name)
    assert result.exit_code != 0 and "a name is 2-64 characters" in result.output
    assert not KEY.search(result.output)


def test_the_same_name_twice_is_refused(app):
    create(app, "desa-app-jabar")
    result = flask(app, "create", "DESA-APP-JABAR")  # names are lowercase
    assert result.exit_code != 0 and "exists already" in result.output


def test_list_shows_name_prefix_dates_and_never_the_key(app, client):
    key = create(app, "desa-app-jabar")
    create(app, "lapor-nasional")
    post(client, fields(key))  # a use: "last used" is set
    flask(app, "revoke", "lapor-nasional")
    result = flask(app, "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["name", "key", "created", "last", "used", "revoked"]
    jabar = next(line for line in lines if line.startswith("desa-app-jabar"))
    assert key[:12] + "…" in jabar and key not in result.output
    assert jabar.count("UTC") == 2 and jabar.rstrip().endswith("-")  # created, used; active
    nasional = next(line for line in lines if line.startswith("lapor-nasional"))
    assert nasional.count("UTC") == 2 and " - " in nasional  # created, revoked; never used
    assert lines.index(jabar) < lines.index(nasional)  # active ones first


def test_revoke_then_the_key_is_refused(app, client):
    key = create(app, "desa-app-jabar")
    assert post(client, fields(key)).status_code == 201
    result = flask(app, "revoke", "desa-app-jabar")
    assert result.exit_code == 0 and "revoked partner desa-app-jabar" in result.output
    for fmt in ("json", "xml"):
        response = post(client, fields(key), fmt)
        assert response.status_code == 403
        assert parsed(response, fmt)[0]["description"] == "api_key is missing, unknown or revoked."
    assert ticket_count(app) == 1
    again = flask(app, "revoke", "desa-app-jabar")
    assert again.exit_code != 0 and "already revoked" in again.output
    with app.app_context():
        kinds = db.session.scalars(select(AuditEntry.kind).order_by(AuditEntry.id)).all()
        assert kinds == ["partner_created", "partner_api_use", "partner_revoked"]


def test_revoke_of_no_such_partner(app):
    result = flask(app, "revoke", "nobody")
    assert result.exit_code != 0 and "no partner with this name" in result.output
