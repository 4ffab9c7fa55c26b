"""a passage reviewers decided differently is disputed (no standing label until settled), and
what /status adds up is kept per passage (review_counts) instead of read from every review

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 07:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

DECIDING = ("accept", "change", "no_goal", "reject")


def upgrade() -> None:
    with op.batch_alter_table('passage_standing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disputed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_passage_standing_disputed', ['taxonomy', 'disputed'])
    op.create_table(
        'review_counts',
        sa.Column('taxonomy', sa.String(length=64), nullable=False),
        sa.Column('passage_id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('m', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('taxonomy', 'passage_id', 'kind', 'key', name='pk_review_counts'),
    )
    with op.batch_alter_table('review_counts', schema=None) as batch_op:
        batch_op.create_index('ix_review_counts_sum', ['taxonomy', 'kind', 'key', 'n', 'm'])
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index('ix_reviews_status', ['taxonomy', 'stands', 'decision', 'reviewer', 'created_at'])
    _backfill()


def _backfill() -> None:
    """Each reviewed passage's dispute flag and counts, from its standing deciding reviews (the
    same rules as ``standing.refresh``, whose pure helpers do the arithmetic)."""
    from pipeline.evidence.standing import disputed, passage_counts

    bind = op.get_bind()
    meta = sa.MetaData()
    r = sa.Table('reviews', meta, autoload_with=bind)
    kept = sa.Table('passage_standing', meta, autoload_with=bind)
    counts = sa.Table('review_counts', meta, autoload_with=bind)
    by_passage: dict[tuple[str, str], list[dict]] = {}
    rows = bind.execute(
        sa.select(r.c.id, r.c.taxonomy, r.c.passage_id, r.c.reviewer, r.c.decision, r.c.goals_before, r.c.goals_after, r.c.created_at)
        .where(r.c.stands.is_(True), r.c.decision.in_(DECIDING))
    )
    for row in rows:
        by_passage.setdefault((row.taxonomy, row.passage_id), []).append(dict(row._mapping))
    settled = {(row.taxonomy, row.passage_id) for row in bind.execute(sa.select(kept.c.taxonomy, kept.c.passage_id).where(kept.c.settled_id.is_not(None)))}
    for (taxonomy, passage_id), reviews in by_passage.items():
        if (taxonomy, passage_id) not in settled and disputed(reviews):
            bind.execute(sa.update(kept).where(kept.c.taxonomy == taxonomy, kept.c.passage_id == passage_id).values(disputed=True))
        found = passage_counts(reviews)
        if found:
            bind.execute(sa.insert(counts), [{"taxonomy": taxonomy, "passage_id": passage_id, "kind": k, "key": key, "n": n, "m": m} for k, key, n, m in found])


def downgrade() -> None:
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_status')
    op.drop_table('review_counts')
    with op.batch_alter_table('passage_standing', schema=None) as batch_op:
        batch_op.drop_index('ix_passage_standing_disputed')
        batch_op.drop_column('disputed')
