"""encrypt evidence gps

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:40:00

Where a house photo was taken is where the household lives: personal data,
stored in plaintext until now (``evidence.gps_lat``/``gps_lon``). This adds
``evidence.gps_enc`` (AES-256-GCM, bound to the row like the other encrypted
columns, see docs/keys.md), encrypts every existing location with the app's
keyring, and drops the plaintext columns.

The migration runs inside the app (``flask db upgrade``: Flask-Migrate's env.py
already needs ``current_app``), so the keyring is the app's. It does not run
offline (``--sql``): a SQL script cannot encrypt. The downgrade decrypts back.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Kept here, not imported from the models, so later model changes cannot
# change what this migration did.
PURPOSE = b"evidence.gps"
BATCH = 500


def _purpose(stored_name: str) -> bytes:
    return PURPOSE + b":" + stored_name.encode("ascii")


def _keyring():
    if op.get_context().as_sql:
        raise RuntimeError(
            "0007 encrypts stored photo locations and cannot run offline (--sql); "
            "run `flask db upgrade` against the database"
        )
    from flask import current_app

    return current_app.extensions["keyring"]


def _evidence_table() -> sa.TableClause:
    """The columns both directions read and write, old and new."""
    return sa.table(
        "evidence",
        sa.column("id", sa.BigInteger()),
        sa.column("stored_name", sa.String()),
        sa.column("gps_lat", sa.Float()),
        sa.column("gps_lon", sa.Float()),
        sa.column("gps_enc", sa.LargeBinary()),
    )


def upgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gps_enc", sa.LargeBinary(), nullable=True))

    evidence = _evidence_table()
    bind = op.get_bind()
    query = (
        sa.select(evidence.c.id, evidence.c.stored_name, evidence.c.gps_lat, evidence.c.gps_lon)
        .where(evidence.c.gps_lat.is_not(None), evidence.c.gps_lon.is_not(None))
        .order_by(evidence.c.id)
    )
    rows = bind.execute(query).all()
    if rows:
        ring = _keyring()
        for start in range(0, len(rows), BATCH):
            bind.execute(
                evidence.update()
                .where(evidence.c.id == sa.bindparam("row_id"))
                .values(gps_enc=sa.bindparam("sealed")),
                [
                    {
                        "row_id": row_id,
                        "sealed": ring.encrypt(f"{float(lat)!r},{float(lon)!r}", _purpose(name)),
                    }
                    for row_id, name, lat, lon in rows[start : start + BATCH]
                ],
            )

    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_column("gps_lat")
        batch_op.drop_column("gps_lon")


def downgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gps_lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("gps_lon", sa.Float(), nullable=True))

    evidence = _evidence_table()
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(evidence.c.id, evidence.c.stored_name, evidence.c.gps_enc).where(
            evidence.c.gps_enc.is_not(None)
        )
    ).all()
    if rows:
        ring = _keyring()
        for row_id, name, sealed in rows:
            lat, lon = ring.decrypt(sealed, _purpose(name)).split(",")
            bind.execute(
                evidence.update()
                .where(evidence.c.id == row_id)
                .values(gps_lat=float(lat), gps_lon=float(lon))
            )

    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_column("gps_enc")
