"""passages.rowid on PostgreSQL: an integer key for each passage, as SQLite's rowid, so the evidence
explorer's search gets the matching passages from the database as integers (8 bytes each, read
straight into an array) instead of ids as text (a comma-separated text of 190,000 ids for a word in
most passages, then a set lookup per evidence row: some 70 ms of the search, against 5)

SQLite: nothing (every table there has a rowid, which the FTS5 index already uses).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 12:45:00
"""

from __future__ import annotations

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        # numbered from a sequence on insert, never written by levelup (outside schema.metadata: migrate.SEARCH_OBJECTS)
        op.execute("ALTER TABLE passages ADD COLUMN rowid bigint GENERATED ALWAYS AS IDENTITY")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE passages DROP COLUMN IF EXISTS rowid")
