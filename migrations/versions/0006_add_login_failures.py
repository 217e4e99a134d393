"""add staff login failures per account and address

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_login_failures',
    sa.Column('account_key', sa.String(length=22), nullable=False),
    sa.Column('address_key', sa.String(length=22), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locks', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_key', 'address_key', name=op.f('pk_staff_login_failures'))
    )
    # The account-wide count moves to the row of every address ("*"): a lock
    # in force at upgrade time is dropped (they last minutes).
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))

    op.drop_table('staff_login_failures')
