"""entry limits, order numbers and scan details

Ticket types learn how many admissions a ticket allows and whether it may re-enter after an
exit; tickets learn the order they were sold in; scans keep the gate's direction and zone,
whether staff admitted by hand, their reason and their name. Every new column has a server
default (or allows NULL), so rows written before keep their meaning: single-entry types, and
scans made at an entry gate by the scanner.

Revision ID: 2026_11_25_0002
Revises: 2026_11_25_0001
Create Date: 2026-11-25 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2026_11_25_0002'
down_revision = '2026_11_25_0001'
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN rather than batch_alter_table: SQLite adds a column with a constant
# default in place (and drops one in place since 3.35), while a batch copy would have to drop
# tables that others reference, which foreign keys forbid inside the migration's transaction.
# Defaults are plain strings for the same reason: an SQL expression default makes Alembic copy
# the table on SQLite.


def upgrade() -> None:
    op.add_column(
        'ticket_types',
        sa.Column('max_entries', sa.Integer(), server_default='1', nullable=False),
    )
    op.add_column(
        'ticket_types', sa.Column('reentry', sa.Boolean(), server_default='0', nullable=False)
    )

    op.add_column('tickets', sa.Column('order_ref', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_tickets_order_ref'), 'tickets', ['order_ref'], unique=False)

    op.add_column(
        'scans',
        sa.Column('direction', sa.String(length=8), server_default='entry', nullable=False),
    )
    op.add_column(
        'scans', sa.Column('zone', sa.String(length=200), server_default='', nullable=False)
    )
    op.add_column('scans', sa.Column('manual', sa.Boolean(), server_default='0', nullable=False))
    op.add_column('scans', sa.Column('note', sa.String(length=500), nullable=True))
    op.add_column(
        'scans', sa.Column('staff', sa.String(length=200), server_default='', nullable=False)
    )


def downgrade() -> None:
    for column in ('staff', 'note', 'manual', 'zone', 'direction'):
        op.drop_column('scans', column)
    op.drop_index(op.f('ix_tickets_order_ref'), table_name='tickets')
    op.drop_column('tickets', 'order_ref')
    op.drop_column('ticket_types', 'reentry')
    op.drop_column('ticket_types', 'max_entries')
