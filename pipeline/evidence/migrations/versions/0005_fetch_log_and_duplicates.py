"""nightly ingestion: fetch log, raw responses, sources and near-duplicates of documents

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'fetches',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('source', sa.Text(), nullable=True),
        sa.Column('run_id', sa.String(length=32), nullable=True),
        sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('etag', sa.Text(), nullable=True),
        sa.Column('last_modified', sa.Text(), nullable=True),
        sa.Column('content_hash', sa.String(length=64), nullable=True),
        sa.Column('raw_sha256', sa.String(length=64), nullable=True),
        sa.Column('document_id', sa.String(length=32), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
    )
    op.create_index('ix_fetches_url', 'fetches', ['url'], unique=False)
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('simhash', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('also_at', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('raw_sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('raw_sha256')
        batch_op.drop_column('also_at')
        batch_op.drop_column('simhash')
        batch_op.drop_column('source')
    op.drop_index('ix_fetches_url', table_name='fetches')
    op.drop_table('fetches')
