"""runs that end: who ran a run (pid, host), and passages past the per-document cap

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 05:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('host', sa.Text(), nullable=True))
    with op.batch_alter_table('passages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unprocessed', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('passages', schema=None) as batch_op:
        batch_op.drop_column('unprocessed')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_column('host')
        batch_op.drop_column('pid')
