"""the evidence explorer: the evidence that stands, indexed by its facets (evidence_index), and
full-text search over passages (SQLite FTS5 kept by triggers; a GIN index on PostgreSQL)

A later migration that rebuilds ``passages`` on SQLite (a batch alter copies the table, new rowids,
no triggers) must re-create the triggers below and run ``INSERT INTO passages_fts(passages_fts)
VALUES ('rebuild')``.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE passages_fts USING fts5(text, content='passages', content_rowid='rowid', tokenize='porter unicode61')",
    "CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN"
    " INSERT INTO passages_fts(rowid, text) VALUES (new.rowid, new.text); END",
    "CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN"
    " INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.rowid, old.text); END",
    "CREATE TRIGGER passages_fts_update AFTER UPDATE OF text ON passages BEGIN"
    " INSERT INTO passages_fts(passages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);"
    " INSERT INTO passages_fts(rowid, text) VALUES (new.rowid, new.text); END",
    "INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')",
)
POSTGRESQL_FTS = "CREATE INDEX ix_passages_fts ON passages USING gin (to_tsvector('english', text))"


def upgrade() -> None:
    op.create_table(
        'evidence_index',
        sa.Column('taxonomy', sa.String(length=64), nullable=False),
        sa.Column('passage_id', sa.String(length=32), nullable=False),
        sa.Column('goal', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.String(length=32), nullable=False),
        sa.Column('organisation', sa.Text(), nullable=True),
        sa.Column('organisation_kind', sa.String(length=16), nullable=True),
        sa.Column('year', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=8), nullable=True),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('figures', sa.Boolean(), nullable=False),
        sa.Column('score', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['passage_id'], ['passages.id'], name='fk_evidence_index_passage_id_passages', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('taxonomy', 'passage_id', 'goal', name='pk_evidence_index'),
    )
    with op.batch_alter_table('evidence_index', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_index_passage_id', ['passage_id'])
        batch_op.create_index('ix_evidence_index_goal', ['taxonomy', 'goal', 'organisation'])
        batch_op.create_index('ix_evidence_index_organisation', ['taxonomy', 'organisation', 'goal', 'year'])
        batch_op.create_index('ix_evidence_index_year', ['taxonomy', 'year', 'passage_id'])
        batch_op.create_index('ix_evidence_index_organisation_kind', ['taxonomy', 'organisation_kind', 'organisation'])
    version = op.create_table(
        'evidence_index_version',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_evidence_index_version'),
    )
    op.bulk_insert(version, [{'id': 1, 'version': 0}])
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for statement in SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute(POSTGRESQL_FTS)
    from pipeline.evidence.evidence_index import refresh_all

    refresh_all(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('passages_fts_insert', 'passages_fts_delete', 'passages_fts_update'):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS passages_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_passages_fts")
    op.drop_table('evidence_index_version')
    op.drop_table('evidence_index')
