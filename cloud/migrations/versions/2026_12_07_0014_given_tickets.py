"""given tickets

A buyer may give one ticket of a paid order to someone else: the ticket is revoked and a new
one issued to the new holder in the same order. The new one says when it was given, the old
one which ticket replaced it. Tickets of earlier releases were never given. Each event says
whether its buyers may give tickets; earlier events allow it, as new ones do by default.

Revision ID: 2026_12_07_0014
Revises: 2026_12_07_0013
Create Date: 2026-12-07 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2026_12_07_0014'
down_revision = '2026_12_07_0013'
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN, not batch_alter_table (see 0002): tickets are referenced by orders.


def upgrade() -> None:
    op.add_column('tickets', sa.Column('given_at', sa.BigInteger(), nullable=True))
    op.add_column('tickets', sa.Column('replaced_by', sa.Integer(), nullable=True))
    # "Find my tickets" looks for the given tickets held at an address: few of all tickets.
    op.create_index(op.f('ix_tickets_given_at'), 'tickets', ['given_at'], unique=False)
    op.add_column(
        'events', sa.Column('allow_giving', sa.Boolean(), server_default='1', nullable=False)
    )


def downgrade() -> None:
    op.drop_column('events', 'allow_giving')
    op.drop_index(op.f('ix_tickets_given_at'), table_name='tickets')
    op.drop_column('tickets', 'replaced_by')
    op.drop_column('tickets', 'given_at')
