"""review app: idempotent decisions that record what was shown, standing decisions kept on
write, and server-side sessions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 05:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

LABELLING = ("accept", "change", "no_goal")


def upgrade() -> None:
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(64), nullable=True))
        batch_op.add_column(sa.Column('shown', sa.String(64), nullable=True))
        batch_op.add_column(sa.Column('stands', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.create_unique_constraint('uq_reviews_token', ['token'])
        batch_op.create_index('ix_reviews_taxonomy_reviewer_stands', ['taxonomy', 'reviewer', 'stands'])
    op.create_table(
        'passage_standing',
        sa.Column('taxonomy', sa.String(64), nullable=False),
        sa.Column('passage_id', sa.String(32), nullable=False),
        sa.Column('decided_id', sa.Integer(), nullable=True),
        sa.Column('label_id', sa.Integer(), nullable=True),
        sa.Column('settled_id', sa.Integer(), nullable=True),
        sa.Column('reviewers', sa.Integer(), nullable=False, server_default='0'),
        sa.PrimaryKeyConstraint('taxonomy', 'passage_id', name='pk_passage_standing'),
    )
    op.create_table(
        'sessions',
        sa.Column('id', sa.String(64), nullable=False),
        sa.Column('username', sa.String(64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_sessions'),
    )
    op.create_index('ix_sessions_username', 'sessions', ['username'])
    _backfill()


def _backfill() -> None:
    """Mark what stands and each passage's standing decision, from the history so far."""
    bind = op.get_bind()
    meta = sa.MetaData()
    reviews = sa.Table('reviews', meta, autoload_with=bind)
    standing = sa.Table('passage_standing', meta, autoload_with=bind)
    rows = list(bind.execute(sa.select(reviews.c.id, reviews.c.taxonomy, reviews.c.passage_id, reviews.c.decision, reviews.c.undoes, reviews.c.reviewer).order_by(reviews.c.created_at, reviews.c.id)))
    undone = {row.undoes for row in rows if row.decision == "undo" and row.undoes is not None}
    fallen = [row.id for row in rows if row.decision == "undo" or row.id in undone]
    for start in range(0, len(fallen), 500):
        bind.execute(sa.update(reviews).where(reviews.c.id.in_(fallen[start:start + 500])).values(stands=False))
    latest: dict[tuple[str, str], dict[str, int | None]] = {}
    reviewers: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        if row.decision in ("undo", "skip") or row.id in undone:
            continue
        entry = latest.setdefault((row.taxonomy, row.passage_id), {"decided_id": None, "label_id": None, "settled_id": None})
        entry["decided_id"] = row.id
        if row.decision in LABELLING:
            entry["label_id"] = row.id
        reviewers.setdefault((row.taxonomy, row.passage_id), set()).add(row.reviewer)
    if latest:
        bind.execute(sa.insert(standing), [{"taxonomy": t, "passage_id": p, **ids, "reviewers": len(reviewers[(t, p)])} for (t, p), ids in latest.items()])


def downgrade() -> None:
    op.drop_index('ix_sessions_username', table_name='sessions')
    op.drop_table('sessions')
    op.drop_table('passage_standing')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_reviews_taxonomy_reviewer_stands')
        batch_op.drop_constraint('uq_reviews_token', type_='unique')
        batch_op.drop_column('stands')
        batch_op.drop_column('shown')
        batch_op.drop_column('token')
