"""entity roles and canonical names, quotes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 14:52:57.756316
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quotes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('passage_id', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('speaker', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('role', sa.Text(), nullable=True),
    sa.Column('organisation', sa.Text(), nullable=True),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('model', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['passage_id'], ['passages.id'], name=op.f('fk_quotes_passage_id_passages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotes'))
    )
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quotes_passage_id'), ['passage_id'], unique=False)

    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('role_org', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('canonical', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_entities_canonical'), ['canonical'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entities_canonical'))
        batch_op.drop_column('canonical')
        batch_op.drop_column('role_org')
        batch_op.drop_column('role')

    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quotes_passage_id'))

    op.drop_table('quotes')
