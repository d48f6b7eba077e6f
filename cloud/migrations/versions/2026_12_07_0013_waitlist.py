"""waitlist

Addresses waiting to hear that a sold-out event has tickets again.

Revision ID: 2026_12_07_0013
Revises: 2026_12_07_0012
Create Date: 2026-12-07 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2026_12_07_0013'
down_revision = '2026_12_07_0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'waitlist',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
        sa.Column('told_at', sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['events.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_id', 'email'),
    )
    op.create_index(
        'ix_waitlist_event_id_created_at', 'waitlist', ['event_id', 'created_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_waitlist_event_id_created_at', table_name='waitlist')
    op.drop_table('waitlist')
