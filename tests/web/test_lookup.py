"""``/lookup``: SECURITY.md LK1–LK5, PD1 and the page's behaviour."""

from __future__ import annotations

import json
import logging
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lokal.provinces import PROVINCES

from portal.ratelimit import limiter
from tests.factories import VILLAGE, nik
from tests.web.conftest import CSRF, csrf_token, post_lookup

SIXTEEN = re.compile(rb"(?<!\d)\d{16}(?!\d)")
PER_REQUEST_HEADERS = {"x-request-id"}  # a fresh random id on every response


def test_form_page_is_indonesian_and_has_both_fields(client):
    page = client.get("/lookup")
    assert page.status_code == 200
    assert b'name="nik"' in page.data and b'name="name"' in page.data
    assert b"Cek status rumah tangga" in page.data and b'lang="id"' in page.data
    assert b"hcaptcha" not in page.data  # no keys configured in tests


# -- LK1: the minimum, and nothing more ------------------------------------
def test_match_shows_status_desil_programmes_and_masked_members(client, registry):
    head = registry["first"][0]
    page = post_lookup(client, head["nik"], head["full_name"])
    assert page.status_code == 200
    body = page.data.decode()
    assert "Desil 2" in body
    assert "B*** S******" in body and "S*** A*****" in body and "A*** S******" in body
    assert "PKH" in body and "PBI-JK" in body
    assert "desil 1 sampai 5" in body  # PBI-JK not received: the rule in plain words
    for row in registry["first"]:
        assert row["full_name"] not in body
        assert row["nik"] not in body
    assert head["kk_number"] not in body
    assert "Melati" not in body  # the address
    assert page.headers["Cache-Control"] == "no-store"


def test_unranked_household_is_explained(client, registry):
    head = registry["second"][0]
    page = post_lookup(client, head["nik"], head["full_name"])
    assert "Belum ada desil" in page.data.decode()


@pytest.mark.parametrize("typed", ["budi santoso", "  BUDI   Santoso ", "Budi\tSantoso"])
def test_name_case_and_spacing_do_not_matter(client, registry, typed):
    page = post_lookup(client, registry["first"][0]["nik"], typed)
    assert b"B*** S******" in page.data


def test_nik_with_spaces_dots_and_dashes_is_accepted(client, registry):
    raw = registry["first"][0]["nik"]
    spaced = f"{raw[:4]} {raw[4:8]}.{raw[8:12]}-{raw[12:]}"
    page = post_lookup(client, spaced, "Budi Santoso")
    assert b"B*** S******" in page.data


def test_member_nik_finds_the_same_household(client, registry):
    child = registry["first"][2]
    page = post_lookup(client, child["nik"], child["full_name"])
    assert b"B*** S******" in page.data


# -- LK2: one answer for "not found" and "name does not match" -------------
def _comparable(response) -> tuple:
    body = CSRF.sub(b"CSRF", response.data)
    headers = sorted(
        (k.lower(), v)
        for k, v in response.headers.items()
        if k.lower() not in PER_REQUEST_HEADERS and k.lower() != "set-cookie"
    )
    cookies = sorted(c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie"))
    return response.status_code, body, headers, cookies


def _session(client) -> dict:
    with client.session_transaction() as s:
        return {k: v for k, v in dict(s).items() if k != "csrf_token"}


def test_not_found_and_name_mismatch_are_identical(app, registry):
    """The POST (a redirect), the session it leaves and the page it leads to."""
    unknown = nik(VILLAGE[:8], 1, 1, 90, 4321)
    a_client, b_client = app.test_client(), app.test_client()  # the same cookie state
    answers = []
    for client, n in ((a_client, unknown), (b_client, registry["first"][0]["nik"])):
        posted = post_lookup(client, n, "Budi Santosa", follow=False)
        answers.append(
            (_comparable(posted), _session(client), _comparable(client.get("/lookup/result")))
        )
    not_found, wrong_name = answers
    assert not_found[0][0] == 303 and not_found[2][0] == 200
    assert not_found == wrong_name
    assert not_found[1] == {"lookup_proof": None}
    assert "Dukcapil" in a_client.get("/lookup/result").data.decode()


# -- LK3: the same work on both paths --------------------------------------
def _count_work(app, monkeypatch) -> dict:
    """Count decryptions, the lookup's reads and every ORM statement."""
    from sqlalchemy import event

    import portal.registry.lookup as lookup_module
    from portal.crypto import Keyring
    from portal.extensions import db

    counts = {"decrypt": 0, "read": 0, "orm": 0}
    decrypt, read_rows = Keyring.decrypt, lookup_module.read_rows

    def counting_decrypt(self, *args, **kwargs):
        counts["decrypt"] += 1
        return decrypt(self, *args, **kwargs)

    def counting_read(*args, **kwargs):
        counts["read"] += 1
        return read_rows(*args, **kwargs)

    def orm(*args):
        counts["orm"] += 1

    monkeypatch.setattr(Keyring, "decrypt", counting_decrypt)
    monkeypatch.setattr(lookup_module, "read_rows", counting_read)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", orm)
    monkeypatch.undo_listener = lambda: event.remove(engine, "before_cursor_execute", orm)
    return counts


def test_not_found_and_mismatch_do_the_same_work(app, registry, monkeypatch):
    """SECURITY.md LK3, by counting rather than timing (a wall clock cannot
    see a skipped 3 µs decryption): one read and one decryption on both
    paths, the POST and the page it leads to."""
    unknown = nik(VILLAGE[:8], 1, 1, 90, 4321)
    known = registry["first"][0]["nik"]
    done = {}
    for label, n in (("unknown", unknown), ("mismatch", known)):
        client = app.test_client()
        token = csrf_token(client)
        counts = _count_work(app, monkeypatch)
        try:
            client.post("/lookup", data={"csrf_token": token, "nik": n, "name": "Budi Santosa"})
            assert "Dukcapil" in client.get("/lookup/result").text
        finally:
            monkeypatch.undo_listener()
        done[label] = dict(counts)
        monkeypatch.undo()
    assert done["unknown"] == done["mismatch"] == {"decrypt": 1, "read": 1, "orm": 0}


# -- LK4: per-NIK limit keyed by HMAC --------------------------------------
def test_without_a_captcha_the_eleventh_lookup_of_one_nik_is_refused(app, client, registry):
    """With no captcha to ask for (development), the per-NIK budget refuses;
    LK6 (the captcha past the budget) is in test_lookup_limits.py."""
    target = registry["first"][0]["nik"]
    for i in range(10):
        r = post_lookup(client, target, "Someone Else", ip=f"203.0.113.{i + 1}")
        assert r.status_code == 200
    r = post_lookup(client, target, "Someone Else", ip="203.0.113.99")
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert "NIK ini" in r.data.decode()  # says which limit, in words
    # Another NIK is not affected.
    assert (
        post_lookup(client, registry["second"][0]["nik"], "X", ip="203.0.113.99").status_code == 200
    )
    with app.app_context():
        dump = repr(vars(limiter.storage)).encode()
    assert not SIXTEEN.search(dump), "a 16-digit run in the limiter's storage"
    assert target.encode() not in dump


def test_per_address_limit_applies_to_posts(app, client, registry, monkeypatch):
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT_PER_IP", "3 per hour")
    for i in range(3):
        assert post_lookup(client, nik(VILLAGE[:8], 1, 1, 90, i + 1), "A").status_code == 200
    r = post_lookup(client, nik(VILLAGE[:8], 1, 1, 90, 9), "A")
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert client.get("/lookup", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200


# -- LK5: NIK syntax with specific messages ---------------------------------
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Masukkan NIK"),
        ("3201abc508800001", "hanya boleh berisi angka"),
        ("32010115088000", "NIK harus 16 digit"),
        ("320101150880000123", "NIK harus 16 digit"),
        ("0001011508800001", "kode provinsi"),
        ("3200001508800001", "00"),
        ("3201013213800001", "tanggal lahir"),
        ("3201011508800000", "0000"),
    ],
)
def test_malformed_nik_gets_a_specific_field_error(client, value, message):
    page = post_lookup(client, value, "Budi Santoso")
    assert page.status_code == 400
    body = page.data.decode()
    assert message.lower() in body.lower()
    assert 'href="#nik"' in body  # the error summary links to the field
    assert 'aria-invalid="true"' in body


def test_missing_name_is_a_field_error(client):
    page = post_lookup(client, nik(VILLAGE[:8], 1, 1, 90, 1), "")
    assert page.status_code == 400 and 'href="#name"' in page.data.decode()


def test_errors_are_translated_to_english(client):
    client.get("/?lang=en")
    page = post_lookup(client, "123", "Budi")
    assert b"NIK must be 16 digits; you entered 3" in page.data


valid_niks = st.builds(
    lambda prov, day, month, yy, serial, female: (
        f"{prov}0101{day + (40 if female else 0):02d}{month:02d}{yy:02d}{serial:04d}"
    ),
    st.sampled_from(sorted(PROVINCES)),
    st.integers(1, 28),
    st.integers(1, 12),
    st.integers(30, 99),
    st.integers(1, 9999),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(valid_niks)
def test_valid_niks_are_accepted(app, value):
    from forms.lookup import LookupForm

    with app.test_request_context(method="POST", data={"nik": value, "name": "A"}):
        form = LookupForm(meta={"csrf": False})
        assert form.validate(), form.errors
        assert form.nik.data == value


@settings(max_examples=200, deadline=None)
@given(valid_niks, st.integers(0, 15), st.sampled_from("0123456789x"))
def test_mutated_niks_are_rejected_or_still_valid(app, value, position, char):
    """A mutation either keeps the NIK valid by the rules or gets a field error."""
    from lokal import parse_nik

    from forms.lookup import LookupForm

    mutated = value[:position] + char + value[position + 1 :]
    with app.test_request_context(method="POST", data={"nik": mutated, "name": "A"}):
        form = LookupForm(meta={"csrf": False})
        ok = form.validate()
        assert ok == parse_nik(mutated).valid
        if not ok:
            assert form.nik.errors


nik_shaped = st.one_of(
    st.text(alphabet="0123456789 .-", min_size=0, max_size=40),
    st.text(max_size=40),
    st.from_regex(r"[0-9]{16}", fullmatch=True),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(nik=nik_shaped, name=st.text(max_size=200))
def test_random_input_never_gives_a_server_error(app, client, monkeypatch, nik, name):
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT_PER_IP", "100000 per hour")
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT_PER_NIK", "100000 per day")
    r = post_lookup(client, nik, name)
    assert r.status_code in (200, 400), r.status_code


# -- PD1 and logging ----------------------------------------------------------
def test_nik_never_in_a_url_and_result_pages_are_not_cached(client, registry):
    head = registry["first"][0]
    for name in (head["full_name"], "Wrong Name"):
        posted = post_lookup(client, head["nik"], name, follow=False)
        assert posted.status_code == 303
        assert posted.headers["Location"] == "/lookup/result"
        page = client.get(posted.headers["Location"])
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
        assert "Cookie" in page.headers["Vary"]
        urls = re.findall(rb'(?:href|src|action)="([^"]*)"', page.data)
        assert urls and not any(SIXTEEN.search(u) for u in urls)
    form = client.get("/lookup")
    assert b'method="post"' in form.data
    # The empty form is what residents search for: indexable, unlike any answer.
    assert "X-Robots-Tag" not in form.headers


def test_every_lookup_is_logged_as_json_with_the_nik_hmac(client, registry, caplog):
    from portal.logs import JsonFormatter

    head = registry["first"][0]
    caplog.set_level(logging.INFO, logger="portal.lookup")
    post_lookup(client, head["nik"], head["full_name"])
    post_lookup(client, head["nik"], "Wrong")
    post_lookup(client, "12", "x")
    records = [r for r in caplog.records if r.name == "portal.lookup"]
    entries = [json.loads(JsonFormatter().format(r)) for r in records]
    assert [e["outcome"] for e in entries] == ["match", "no_match", "invalid"]
    assert entries[0]["nik_hmac"] == entries[1]["nik_hmac"] and len(entries[0]["nik_hmac"]) == 22
    assert all(e["request_id"] and e["time"].endswith("+00:00") for e in entries)


def test_match_remembers_only_a_random_token_in_the_session(app, client, registry):
    """SECURITY.md LK7: the cookie names no household; the proof is a row."""
    from portal.extensions import db
    from portal.registry.models import LookupProof

    head = registry["first"][0]
    post_lookup(client, head["nik"], head["full_name"])
    session = _session(client)
    token = session["lookup_proof"]
    assert isinstance(token, str) and len(token) >= 32
    assert list(session) == ["lookup_proof"]
    with app.app_context():
        rows = db.session.scalars(db.select(LookupProof)).all()
        assert len(rows) == 1 and rows[0].id != token.encode()
        assert rows[0].household_id not in (None, token)
    post_lookup(client, head["nik"], "Wrong")
    assert _session(client) == {"lookup_proof": None}
    with app.app_context():  # a lookup that finds nothing ends the earlier proof
        assert db.session.scalars(db.select(LookupProof)).all() == []


def test_post_without_csrf_token_is_refused_before_any_lookup(client, registry, caplog):
    head = registry["first"][0]
    r = client.post("/lookup", data={"nik": head["nik"], "name": head["full_name"]})
    assert r.status_code == 400
    assert b"B*** S******" not in r.data
    assert not [rec for rec in caplog.records if rec.name == "portal.lookup"]


def test_eligible_household_not_receiving_is_told_it_can_propose(client, registry):
    head = registry["first"][0]  # desil 2 with PKH and SEMBAKO, not PBI-JK
    body = post_lookup(client, head["nik"], head["full_name"]).data.decode()
    assert "termasuk rumah tangga Anda" in body


# -- the lookup's reader (portal.db.read_rows) --------------------------------


def _on_postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def test_lookup_survives_the_database_dropping_its_connections(app, client, registry):
    """The reader does not ping; a connection the server closed is replaced
    and the read runs again, so the resident never sees an error."""
    if not _on_postgres(app):
        pytest.skip("PostgreSQL closes connections; a SQLite file has none to close")
    from sqlalchemy import create_engine, text

    head = registry["first"][0]
    assert "B*** S" in post_lookup(client, head["nik"], head["full_name"]).text
    # several pooled connections, as under load, all killed below
    from portal.db import _read_engine

    with app.app_context():
        held = [_read_engine().connect() for _ in range(3)]
        for conn in held:
            conn.exec_driver_sql("SELECT 1")
        for conn in held:
            conn.close()
    admin = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with admin.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    admin.dispose()
    assert killed >= 1
    again = post_lookup(client, head["nik"], head["full_name"])
    assert again.status_code == 200
    assert "B*** S" in again.text


def _dead_connection_in_the_pool(engine) -> None:
    """Close the driver connection under a pooled one, as a server would."""
    fairy = engine.raw_connection()
    fairy.driver_connection.close()
    fairy.close()  # back to the pool, dead


def test_reader_replaces_a_dead_connection_and_never_pools_it_again(app):
    """On both databases: a pooled connection whose driver is closed is
    thrown away, the read succeeds on a fresh one, and every connection the
    pool hands out afterwards works."""
    from portal.db import _read_engine, read_rows

    with app.test_request_context():
        engine = _read_engine()
        read_rows("SELECT 1", ())
        _dead_connection_in_the_pool(engine)
        assert read_rows("SELECT 1", ()) == [(1,)]
        held = [engine.raw_connection() for _ in range(3)]
        try:
            for fairy in held:
                cursor = fairy.driver_connection.cursor()
                assert cursor.execute("SELECT 1").fetchall() == [(1,)]
                cursor.close()
        finally:
            for fairy in held:
                fairy.close()


def test_reader_gives_up_after_one_retry_and_pools_no_dead_connection(app, monkeypatch):
    from portal.db import _read_engine, read_rows

    with app.test_request_context():
        engine = _read_engine()
        raw_connection = engine.raw_connection
        handed_out = []

        def always_dead():
            fairy = raw_connection()
            fairy.driver_connection.close()
            handed_out.append(fairy)
            return fairy

        monkeypatch.setattr(engine, "raw_connection", always_dead)
        with pytest.raises(engine.dialect.loaded_dbapi.Error):
            read_rows("SELECT 1", ())
        assert len(handed_out) == 2
        assert not any(fairy.is_valid for fairy in handed_out)  # both invalidated
        monkeypatch.undo()
        assert read_rows("SELECT 1", ()) == [(1,)]


def test_reader_raises_other_errors_at_once(app):
    from portal.db import read_rows

    with app.test_request_context(), pytest.raises(Exception, match="no_such_table"):
        read_rows("SELECT * FROM no_such_table", ())


def test_reader_runs_outside_any_transaction(app, registry):
    """Autocommit: no BEGIN before the statement, no ROLLBACK after it."""
    from portal.db import _read_engine, read_rows

    with app.test_request_context():
        read_rows("SELECT 1", ())
        with _read_engine().connect() as conn:
            driver = conn.connection.driver_connection
            if _on_postgres(app):
                assert driver.autocommit is True
            else:
                assert driver.isolation_level is None
