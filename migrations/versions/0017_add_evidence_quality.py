"""add evidence quality

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 14:40:00

Issue 15 §1: the quality codes of a photo the resident kept although the
check said it may be hard to read (``Evidence.quality_kept``, e.g.
"dark,blurred"), so the office's ticket page can say so.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quality_kept", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_column("quality_kept")
