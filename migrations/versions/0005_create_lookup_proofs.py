"""create lookup proofs

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lookup_proofs',
    sa.Column('id', sa.LargeBinary(length=32), nullable=False),
    sa.Column('household_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_lookup_proofs_household_id_households'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lookup_proofs'))
    )
    with op.batch_alter_table('lookup_proofs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lookup_proofs_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lookup_proofs_household_id'), ['household_id'], unique=False)


def downgrade():
    with op.batch_alter_table('lookup_proofs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lookup_proofs_household_id'))
        batch_op.drop_index(batch_op.f('ix_lookup_proofs_expires_at'))

    op.drop_table('lookup_proofs')
