"""document structure: the heading path of each passage

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('passages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headings', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('passages', schema=None) as batch_op:
        batch_op.drop_column('headings')
