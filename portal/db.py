"""Database plumbing: SQLite pragmas, the one transaction boundary, and the
autocommit reader the lookup's queries (and its proof's one unflushed
write) use."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Engine

from portal.extensions import db, once_per_app

SQLITE_BUSY_TIMEOUT_MS = 5000
#: Reads through a memory map instead of a read() per page: a lookup touches a
#: handful of pages spread over a large file, and with the default per-page
#: syscalls the query took as long as the rest of the page (bench/lookup_bench.py).
#: Address space only; the pages live in the OS cache, shared by every process.
SQLITE_MMAP_BYTES = 2**31 - 2**16  # SQLite's default ceiling (SQLITE_MAX_MMAP_SIZE)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL, durable commits, enforced foreign keys, wait instead of failing when
    busy, memory-mapped reads."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cur.close()


def configure_engine_options(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    opts = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        opts.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        private_sqlite_files(uri)
    else:
        opts.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = opts


def private_sqlite_files(uri: str) -> None:
    """Create the SQLite database file readable by its owner only (0600), and
    make an older one so. SQLite gives the ``-wal`` and ``-shm`` files it
    creates the database file's mode; ones left by an earlier run are fixed here."""
    path = make_url(uri).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    # Best effort: a missing folder or a file of another user is SQLite's to report.
    # Only a missing file is opened (O_EXCL): closing a descriptor of a database
    # this process already has open would drop every POSIX lock SQLite holds on
    # it (a second app in one process, as in the tests).
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        with contextlib.suppress(OSError):
            os.chmod(name, 0o600)


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


@contextmanager
def transaction() -> Iterator[None]:
    """The single place that commits: domain code adds and flushes, callers
    wrap a unit of work in ``with transaction():``."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def keyring():
    return current_app.extensions["keyring"]


def read_rows(sql: str, params: tuple) -> list[tuple]:
    """Run one read-only statement on the driver and return its rows.

    For the busiest page's single query. It does not use the request's
    session: a session's connection costs a liveness ping when it is checked
    out, a ``BEGIN`` and a ``ROLLBACK`` when it is returned, each a round trip
    to PostgreSQL, for a statement that needs no transaction. This pool is in
    autocommit mode, does not ping and hands out the DB-API connection without
    SQLAlchemy's ``Connection`` around it. When the server has dropped the
    connection (a restart, a failover), every pooled connection is as dead:
    the pool is emptied and the statement (a read, safe to repeat) runs once
    more on a fresh connection. ``sql`` uses the driver's placeholder (``?``
    for SQLite, ``%s`` otherwise).
    """
    for attempt in (1, 2):
        try:
            return _on_reader(sql, params, fetch=True)
        except _Reconnected as exc:
            if attempt == 2:
                raise exc.__cause__ from None
    raise AssertionError("unreachable")


def write_unflushed(sql: str, params: tuple) -> None:
    """Run one statement that writes a row a crash of the machine may lose,
    committed on its own, on the reader's pool (``read_rows``).

    For the lookup's proof (``portal.registry.proofs.prove_unflushed``): the
    commit does not wait for the disk (PostgreSQL ``synchronous_commit=off``,
    SQLite ``synchronous=NORMAL`` in WAL mode): on SQLite every durable commit
    is an fsync under the one write lock, which every lookup of every worker
    would queue for. Atomicity and consistency are untouched; a power loss
    or an operating-system crash may forget the last fraction of a second of
    such rows (a process crash of the app forgets nothing). Never for
    tickets, deletions or anything a resident was told is saved. Not
    repeated when the connection turns out dead (it may have run)."""
    try:
        _on_reader(sql, params, fetch=False)
    except _Reconnected as exc:
        raise exc.__cause__ from None


class _Reconnected(Exception):
    """The reader's connection was dead; the pool has been emptied."""


def _on_reader(sql: str, params: tuple, *, fetch: bool) -> list[tuple]:
    engine = _read_engine()
    fairy = engine.raw_connection()  # the pooled DB-API connection itself
    try:
        cursor = fairy.driver_connection.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchall() if fetch else []
        finally:
            cursor.close()
    except engine.dialect.loaded_dbapi.Error as exc:
        if not engine.dialect.is_disconnect(exc, fairy.dbapi_connection, None):
            raise
        # Never hand a dead connection back (there is no reset on return
        # to find it out); the others are as dead: start a new pool.
        fairy.invalidate(exc)
        engine.dispose(close=False)
        raise _Reconnected() from exc
    finally:
        fairy.close()  # back to the pool, or discarded when invalidated


def placeholder() -> str:
    """The driver's parameter placeholder for ``read_rows``."""
    return "?" if _read_engine().dialect.name == "sqlite" else "%s"


def _read_engine() -> Engine:
    return once_per_app("portal_read_engine", _make_read_engine)


def _make_read_engine() -> Engine:
    opts = dict(current_app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    opts.pop("pool_pre_ping", None)
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite"):
        # write_unflushed's commits; reads commit nothing. Set when the
        # session starts: no round trip.
        args = dict(opts.get("connect_args") or {})
        args["options"] = f"{args.get('options', '')} -c synchronous_commit=off".strip()
        opts["connect_args"] = args
    # Autocommit: no transaction is ever open, so nothing to roll back when a
    # connection goes back to the pool.
    engine = create_engine(uri, isolation_level="AUTOCOMMIT", pool_reset_on_return=None, **opts)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_unflushed)
    return engine


def _sqlite_unflushed(dbapi_connection, _record) -> None:
    """After ``_sqlite_pragmas``: this pool's commits (``write_unflushed``) are
    not fsynced; WAL keeps them atomic and the file consistent."""
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def stored_utc(moment: dt.datetime | None) -> dt.datetime | None:
    """A time read back from the database, as an aware UTC datetime: every time
    is stored in UTC, and SQLite returns it without its zone."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment
