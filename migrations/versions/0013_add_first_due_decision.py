"""add first due decision

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 14:40:00

Issue 12 §5: ``tickets.first_due_decision``, the decision deadline as it
stood when the ticket was first decided (``workflow.transition`` sets it at
the first ``decided`` move; an appeal later moves ``due_decision`` but not
this). The office performance figures count "decided on time" against it.

Backfill: every ticket that already has a ``decided`` event gets its current
``due_decision``. That is exact for a ticket never appealed (nothing but an
appeal moves ``due_decision`` after a decision); for a ticket appealed
before this migration it is the appeal's deadline, as the figures counted
until now: its first deadline was never recorded.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_due_decision", sa.Date(), nullable=True))
    op.execute(
        "UPDATE tickets SET first_due_decision = due_decision"
        " WHERE EXISTS (SELECT 1 FROM ticket_events e"
        " WHERE e.ticket_id = tickets.id AND e.kind = 'decided')"
    )


def downgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("first_due_decision")
