"""add performance figures

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 13:45:00

Issue 12 §5: the office performance figures as last computed by
``flask tickets performance-refresh``, one row per office, province and the
nation (``portal.tickets.performance_models``).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "performance_figures",
        sa.Column("scope", sa.String(length=24), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("parent", sa.String(length=24), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("open_count", sa.Integer(), nullable=False),
        sa.Column("overdue_count", sa.Integer(), nullable=False),
        sa.Column("decided", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("open_past_decision", sa.Integer(), nullable=False),
        sa.Column("triaged", sa.Integer(), nullable=False),
        sa.Column("triage_median", sa.Integer(), nullable=True),
        sa.Column("triage_p90", sa.Integer(), nullable=True),
        sa.Column("decision_median", sa.Integer(), nullable=True),
        sa.Column("decision_p90", sa.Integer(), nullable=True),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.Column("oldest_reference", sa.String(length=12), nullable=True),
        sa.Column("oldest_submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_performance_figures")),
    )
    with op.batch_alter_table("performance_figures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_performance_figures_parent"), ["parent"], unique=False
        )


def downgrade():
    with op.batch_alter_table("performance_figures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_performance_figures_parent"))
    op.drop_table("performance_figures")
