"""documents.organisation_kind: what kind of organisation a document is about (NHS, university,
council, ...), so peers are compared within a kind; filled in from the stored organisation names

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 10:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_kind', sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f('ix_documents_organisation_kind'), ['organisation_kind'])
    _backfill()


def _backfill() -> None:
    """Each document's kind from its organisation's name and its address, as new documents get it."""
    from pipeline.evidence.organisation_kind import organisation_kind

    bind = op.get_bind()
    documents = sa.Table('documents', sa.MetaData(), autoload_with=bind)
    rows = bind.execute(sa.select(documents.c.id, documents.c.organisation, documents.c.url).where(documents.c.organisation.is_not(None))).all()
    for row in rows:
        bind.execute(sa.update(documents).where(documents.c.id == row.id).values(organisation_kind=organisation_kind(row.organisation, row.url)))


def downgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_organisation_kind'))
        batch_op.drop_column('organisation_kind')
