"""Appends from many transactions at once keep one chain (``record()``'s
serialisation: PostgreSQL's advisory lock, SQLite's write lock)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.audit.log import record
from portal.audit.models import AuditEntry
from portal.db import transaction
from portal.extensions import db
from tests.audit.audit_fixtures import verify_cli

pytestmark = pytest.mark.usefixtures("db_clean")
THREADS = 6
EACH = 15


def test_parallel_appends_make_one_chain(app):
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            with app.app_context():
                start.wait()
                for i in range(EACH):
                    with transaction():
                        # Something of the caller's first, as an action would.
                        db.session.execute(select(func.count()).select_from(AuditEntry))
                        record("ticket_opened", staff_id=n, ticket_id=i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with app.app_context():
        prev_hashes = db.session.scalars(select(AuditEntry.prev_hash)).all()
        staff = db.session.scalars(select(AuditEntry.staff_id)).all()
    assert len(prev_hashes) == THREADS * EACH == len({bytes(h) for h in prev_hashes})
    assert sorted(staff) == sorted(n for n in range(THREADS) for _ in range(EACH))
    result = verify_cli(app)
    assert result.exit_code == 0, result.output
    assert f"{THREADS * EACH} rows verified" in result.output
