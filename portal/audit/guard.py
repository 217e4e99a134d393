"""The database refuses UPDATE and DELETE on ``audit_log`` (SECURITY.md LG3).

Migration 0008 creates these triggers (and restates this SQL, so that it does
not change with the code). PostgreSQL: one statement-level trigger refusing
UPDATE, DELETE and TRUNCATE. SQLite: BEFORE UPDATE and BEFORE DELETE row
triggers (a statement touching no row fires neither, which ``record()``'s
write-lock statement relies on). Note for later migrations: a SQLite
``batch_alter_table('audit_log')`` rebuilds the table without its triggers;
create them again after one.

The triggers stop mistakes and code paths, not the database's owner, who can
drop them: that is what the hash chain and ``flask audit verify`` are for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from portal.extensions import db

POSTGRES_CREATE = (
    """
    CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    """
    CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
    """,
)
POSTGRES_DROP = ("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",)
SQLITE_CREATE = tuple(
    f"""
    CREATE TRIGGER audit_log_no_{op.lower()} BEFORE {op} ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {op} refused'); END
    """
    for op in ("UPDATE", "DELETE")
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS audit_log_no_update",
    "DROP TRIGGER IF EXISTS audit_log_no_delete",
)


POSTGRES_COUNT = (
    "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal"
)
SQLITE_COUNT = (
    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
)


def _statements() -> tuple[tuple[str, ...], tuple[str, ...], str]:
    if db.session.get_bind().dialect.name == "postgresql":
        return POSTGRES_CREATE, POSTGRES_DROP, POSTGRES_COUNT
    return SQLITE_CREATE, SQLITE_DROP, SQLITE_COUNT


class GuardMissing(RuntimeError):
    """audit_log lacks its triggers (a migration lost them)."""


@contextmanager
def unguarded() -> Iterator[None]:
    """FOR TESTS ONLY (emptying tables, tampering on purpose): the triggers
    are dropped for the block and created again after it, all in the caller's
    transaction (DDL is transactional on both databases), so no other
    transaction ever sees the table unguarded. Raises ``GuardMissing`` when
    the triggers are not there to begin with. The caller commits; should the
    block raise, the caller's rollback restores the triggers too."""
    create, drop, count = _statements()
    if db.session.get_bind().dialect.name == "sqlite":
        # Python's sqlite3 opens a transaction before DML only: a DROP first
        # would commit on its own. This touches no row and fires no trigger.
        db.session.execute(text("UPDATE audit_log SET kind = kind WHERE 0"))
    # Never quietly installs what the migration should have: every test
    # cleaning up would then hide a migration that lost the triggers.
    if db.session.scalar(text(count)) != len(drop):  # one DROP per trigger
        raise GuardMissing("audit_log is missing its append-only triggers")
    for sql in drop:
        db.session.execute(text(sql))
    yield
    for sql in create:
        db.session.execute(text(sql))
