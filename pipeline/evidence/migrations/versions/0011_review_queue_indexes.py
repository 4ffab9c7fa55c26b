"""the review queue as an index: each flagged passage's priority kept beside its standing decision
(passage_standing.priority), a reviewer's decisions indexed by passage, and no index on
suggestions by flag

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the queue no longer walks flags by priority, and a planner without statistics took this
    # index for any read of one passage's flags (every flag of the database, read per passage)
    op.drop_index('ix_suggestions_flagged_priority', table_name='suggestions')
    with op.batch_alter_table('passage_standing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Float(), nullable=True))
        batch_op.create_index('ix_passage_standing_queue', ['taxonomy', 'reviewers', 'priority', 'settled_id', 'passage_id'])
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_taxonomy_reviewer_stands')
        batch_op.create_index('ix_reviews_reviewer_passages', ['taxonomy', 'reviewer', 'stands', 'passage_id', 'decision'])
    _backfill()


def _backfill() -> None:
    """Every passage flagged so far gets its place in the queue (a row of its own when unreviewed)."""
    bind = op.get_bind()
    meta = sa.MetaData()
    s = sa.Table('suggestions', meta, autoload_with=bind)
    kept = sa.Table('passage_standing', meta, autoload_with=bind)
    flagged = (
        sa.select(s.c.taxonomy, s.c.passage_id, sa.func.max(sa.func.coalesce(s.c.priority, 0.0)).label('priority'))
        .where(s.c.flagged.is_(True))
        .group_by(s.c.taxonomy, s.c.passage_id)
        .subquery('flagged')
    )
    best = sa.select(flagged.c.priority).where(flagged.c.taxonomy == kept.c.taxonomy, flagged.c.passage_id == kept.c.passage_id).scalar_subquery()
    bind.execute(sa.update(kept).values(priority=best))
    present = sa.select(kept.c.passage_id).where(kept.c.taxonomy == flagged.c.taxonomy, kept.c.passage_id == flagged.c.passage_id).exists()
    bind.execute(
        sa.insert(kept).from_select(
            ['taxonomy', 'passage_id', 'reviewers', 'priority'],
            sa.select(flagged.c.taxonomy, flagged.c.passage_id, sa.literal(0), flagged.c.priority).where(~present),
        )
    )


def downgrade() -> None:
    bind = op.get_bind()
    kept = sa.Table('passage_standing', sa.MetaData(), autoload_with=bind)
    bind.execute(sa.delete(kept).where(kept.c.decided_id.is_(None), kept.c.settled_id.is_(None)))  # queue-only rows
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_reviewer_passages')
        batch_op.create_index('ix_reviews_taxonomy_reviewer_stands', ['taxonomy', 'reviewer', 'stands'])
    with op.batch_alter_table('passage_standing', schema=None) as batch_op:
        batch_op.drop_index('ix_passage_standing_queue')
        batch_op.drop_column('priority')
    op.create_index('ix_suggestions_flagged_priority', 'suggestions', ['flagged', 'priority'])
