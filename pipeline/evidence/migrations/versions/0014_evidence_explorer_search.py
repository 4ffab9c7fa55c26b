"""the evidence explorer: the evidence that stands, indexed by its facets (evidence_index), and
full-text search over passages (SQLite FTS5 kept by triggers; on PostgreSQL a stored generated
``tsvector`` column, ``passages.text_search``, with a GIN index)

On PostgreSQL the words are stored, not worked out on each search: with only an index on the
expression ``to_tsvector('english', text)``, a word in most passages is cheaper for the planner to
find by reading the whole table, which then recomputes ``to_tsvector`` for every passage (3.5 s
at 200,000 passages, against some 75 ms reading the stored column).

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
POSTGRESQL_FTS = (
    "ALTER TABLE passages ADD COLUMN text_search tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED",
    "CREATE INDEX ix_passages_fts ON passages USING gin (text_search)",
)


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
        for statement in POSTGRESQL_FTS:
            op.execute(statement)
    from pipeline.evidence.evidence_index import refresh_all

    refresh_all(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('passages_fts_insert', 'passages_fts_delete', 'passages_fts_update'):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS passages_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_passages_fts")
        op.execute("ALTER TABLE passages DROP COLUMN IF EXISTS text_search")
    op.drop_table('evidence_index_version')
    op.drop_table('evidence_index')
