"""pending asks

A password reset or "Find my tickets" is answered before the address is looked up, so the
answer says nothing about it. The ask is now written before the answer goes and deleted once
its work is done, so a crash of the answering process leaves it for the worker.

Revision ID: 2026_12_07_0015
Revises: 2026_12_07_0014
Create Date: 2026-12-07 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2026_12_07_0015'
down_revision = '2026_12_07_0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'pending_asks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('asked_at', sa.BigInteger(), nullable=False),
        sa.Column('claimed_at', sa.BigInteger(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_asks')),
    )


def downgrade() -> None:
    op.drop_table('pending_asks')
