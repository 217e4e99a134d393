"""add field visit key

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:30:00

``field_visits.idempotency_key``: the random key hidden in the field-visit
form, unique, so a double click on "save" records one visit, not two
(SECURITY.md RE1, as for a resident's submission).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("field_visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_field_visits_idempotency_key"), ["idempotency_key"]
        )


def downgrade():
    with op.batch_alter_table("field_visits", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_field_visits_idempotency_key"), type_="unique")
        batch_op.drop_column("idempotency_key")
