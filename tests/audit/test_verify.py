"""``flask audit verify`` names the first row changed, removed or inserted
(SECURITY.md LG3: "pytest edits a row, verify fails")."""

from __future__ import annotations

import hashlib
import json

import pytest

from portal.audit.log import GENESIS
from tests.audit.audit_fixtures import append, rows, tamper, verify_cli

pytestmark = pytest.mark.usefixtures("db_clean")


def test_an_empty_log_verifies(app):
    result = verify_cli(app)
    assert result.exit_code == 0, result.output
    assert "0 rows verified" in result.output


def test_the_first_row_hash_is_sha256_of_genesis_and_its_fields(app):
    (first,) = append(app, 1)
    (row,) = rows(app)
    # Written out by hand: at, staff, kind, ticket, evidence, target, office, detail.
    content = (
        '["2026-12-01T08:00:00.000000+00:00",7,"moved",100,null,null,null,"in_review>verified"]'
    )
    assert row.id == first
    assert bytes(row.prev_hash) == bytes(32) == GENESIS
    assert bytes(row.row_hash) == hashlib.sha256(bytes(32) + content.encode()).digest()
    assert json.loads(content)[0].endswith("+00:00")


def test_a_sound_chain_verifies_and_prints_its_head(app):
    append(app, 5)
    result = verify_cli(app)
    assert result.exit_code == 0, result.output
    assert "5 rows verified" in result.output
    assert bytes(rows(app)[-1].row_hash).hex() in result.output


def test_each_row_chains_onto_the_one_before(app):
    append(app, 3)
    a, b, c = rows(app)
    assert bytes(b.prev_hash) == bytes(a.row_hash)
    assert bytes(c.prev_hash) == bytes(b.row_hash)


def test_an_updated_row_is_named(app):
    ids = append(app, 5)
    tamper(app, ("UPDATE audit_log SET ticket_id = 999 WHERE id = :id", {"id": ids[2]}))
    result = verify_cli(app)
    assert result.exit_code == 1
    assert f"row {ids[2]} was changed" in result.output
    assert "(2 rows verified before it)" in result.output


def test_an_updated_row_with_its_own_hash_recomputed_breaks_the_next_link(app):
    ids = append(app, 4)
    prev = bytes(rows(app)[1].prev_hash)
    forged = hashlib.sha256(
        prev
        + b'["2026-12-01T08:01:00.000000+00:00",7,"moved",555,null,null,null,'
        + b'"in_review>verified"]'
    ).digest()
    tamper(
        app,
        (
            "UPDATE audit_log SET ticket_id = 555, row_hash = :h WHERE id = :id",
            {"h": forged, "id": ids[1]},
        ),
    )
    result = verify_cli(app)
    assert result.exit_code == 1
    assert f"row {ids[2]} does not follow row {ids[1]}" in result.output


def test_a_deleted_row_is_found(app):
    ids = append(app, 5)
    tamper(app, ("DELETE FROM audit_log WHERE id = :id", {"id": ids[2]}))
    result = verify_cli(app)
    assert result.exit_code == 1
    assert f"row {ids[3]} does not follow row {ids[1]}: a row between them was removed" in (
        result.output
    )


def test_deleting_the_first_row_is_found(app):
    ids = append(app, 3)
    tamper(app, ("DELETE FROM audit_log WHERE id = :id", {"id": ids[0]}))
    result = verify_cli(app)
    assert result.exit_code == 1
    assert f"row {ids[1]} does not follow the start of the log" in result.output


def test_an_inserted_row_is_named(app):
    ids = append(app, 4)
    second = rows(app)[1]
    # A row slipped in after the second, with made-up hashes (its prev_hash
    # cannot be the second's row_hash: the third has it, and it is unique).
    tamper(
        app,
        ("UPDATE audit_log SET id = id + 10 WHERE id > :id", {"id": ids[1]}),
        (
            "INSERT INTO audit_log (id, at, staff_id, kind, prev_hash, row_hash) "
            "VALUES (:id, :at, 1, 'login', :prev, :row)",
            {"id": ids[1] + 1, "at": second.at, "prev": b"y" * 32, "row": b"x" * 32},
        ),
    )
    result = verify_cli(app)
    assert result.exit_code == 1
    assert f"row {ids[1] + 1} was inserted: row {ids[2] + 10} follows row {ids[1]}" in (
        result.output
    )


def test_a_swapped_pair_is_named(app):
    ids = append(app, 4)
    b, c = ids[1], ids[2]
    # Every column but the id trades places (through a free id: ids are unique).
    tamper(
        app,
        ("UPDATE audit_log SET id = -1 WHERE id = :b", {"b": b}),
        ("UPDATE audit_log SET id = :b WHERE id = :c", {"b": b, "c": c}),
        ("UPDATE audit_log SET id = :c WHERE id = -1", {"c": c}),
    )
    result = verify_cli(app)
    assert result.exit_code == 1
    assert f"rows {b} and {c} were swapped" in result.output
