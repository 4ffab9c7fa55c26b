"""tables as data: the rows of a table passage, and the upper bound of a figure range

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 05:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('passages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('table_rows', sa.JSON(), nullable=True))
    with op.batch_alter_table('figures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upper', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('figures', schema=None) as batch_op:
        batch_op.drop_column('upper')
    with op.batch_alter_table('passages', schema=None) as batch_op:
        batch_op.drop_column('table_rows')
