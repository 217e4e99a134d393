"""Query plans for ``office_bench.py``: the queries a page really runs, caught
on the engine while it runs, and the reference queries the indexes of
migration 0008 were made for (``ix_tickets_office_due``,
``ix_tickets_office_status_due``, ``ix_tickets_assignee_due``).

SQLite: ``EXPLAIN QUERY PLAN``; PostgreSQL: ``EXPLAIN (ANALYZE, BUFFERS)``,
which runs the query and shows the rows and time of each step.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, text

from portal.extensions import db


def _explain(statement: str, params) -> list[str]:
    dialect = db.engine.dialect.name
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, params).all()
    if dialect == "sqlite":
        return [f"  {'  ' * (1 if parent else 0)}{detail}" for _, parent, _, detail in rows]
    return [f"  {row[0]}" for row in rows]


def explain_page(app, client, name: str, url: str) -> None:
    """Run ``url`` once, catching every statement that reads ``tickets`` or
    ``evidence``; explain each."""
    caught: list[tuple[str, object]] = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        lowered = statement.lower()
        reads = "from tickets" in lowered or "from evidence" in lowered
        if lowered.lstrip().startswith("select") and reads:
            caught.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", catch)
    try:
        client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", catch)
    print(f"\n== {name}: GET {url} ran {len(caught)} quer(ies) on tickets/evidence")
    for statement, params in caught:
        print("  " + " ".join(statement.split())[:400])
        print(f"  params {params}")
        print("\n".join(_explain(statement, params)))


REFERENCE = {
    "first page, by nearest due date": "",
    "status in_review": "AND status = 'in_review'",
    "overdue": "AND due_next < :today",
    "assignee": "AND assignee_id = :assignee",
    "kind objection": "AND kind = 'objection'",
}


def explain_reference(app, office_code: str) -> None:
    """The queue's queries as the indexes expect them: one office, nearest due first."""
    with db.engine.connect() as conn:
        office_id = conn.execute(
            text("SELECT id FROM offices WHERE code = :c"), {"c": office_code}
        ).scalar()
        assignee = conn.execute(
            text(
                "SELECT assignee_id FROM tickets WHERE office_id = :o AND assignee_id IS NOT NULL "
                "LIMIT 1"
            ),
            {"o": office_id},
        ).scalar()
    today = dt.date.today().isoformat()
    params = {"o": office_id, "today": today, "assignee": assignee}
    for name, where in REFERENCE.items():
        sql = (
            "SELECT id, reference, kind, village_code, status, due_next, assignee_id "
            f"FROM tickets WHERE office_id = :o {where} ORDER BY due_next, id LIMIT 50"
        )
        _print_reference(name, sql, params)
    _print_reference(
        "counts per status",
        "SELECT status, count(*) FROM tickets WHERE office_id = :o GROUP BY status",
        params,
    )


def _print_reference(name: str, sql: str, params: dict) -> None:
    compiled = text(sql).compile(db.engine)
    positional = db.engine.dialect.paramstyle in ("qmark", "numeric", "format")
    if positional:
        args = tuple(params[k] for k in compiled.positiontup)
    else:
        args = {k: params[k] for k in compiled.params}
    print(f"\n== reference: {name}\n  {sql}")
    print("\n".join(_explain(str(compiled), args)))
