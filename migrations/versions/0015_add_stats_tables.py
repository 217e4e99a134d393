"""add stats tables

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 18:15:00

Issue 13 §1: the public statistics as last computed by ``flask stats
refresh`` (``portal.stats.models``).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stats_figures",
        sa.Column("scope", sa.String(length=24), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("parent", sa.String(length=24), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("submitted", sa.Integer(), nullable=False),
        sa.Column("overdue_count", sa.Integer(), nullable=False),
        sa.Column("decided", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("triaged", sa.Integer(), nullable=False),
        sa.Column("triage_median", sa.Integer(), nullable=True),
        sa.Column("decision_median", sa.Integer(), nullable=True),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_stats_figures")),
    )
    with op.batch_alter_table("stats_figures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stats_figures_parent"), ["parent"], unique=False)
    op.create_table(
        "stats_counts",
        sa.Column("scope", sa.String(length=24), nullable=False),
        sa.Column("dimension", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "dimension", "key", name=op.f("pk_stats_counts")),
    )
    op.create_table(
        "stats_months",
        sa.Column("scope", sa.String(length=24), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("submitted", sa.Integer(), nullable=False),
        sa.Column("decided", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "month", name=op.f("pk_stats_months")),
    )


def downgrade():
    op.drop_table("stats_months")
    op.drop_table("stats_counts")
    with op.batch_alter_table("stats_figures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stats_figures_parent"))
    op.drop_table("stats_figures")
