"""payments and webhooks

Each payment provider webhook event the cloud applied, recorded in the transaction of its
effect so that a redelivered event changes nothing, and an index for the worker to find
unpaid orders past their time. A new table and an index only, so rows of earlier releases
are untouched.

Revision ID: 2026_11_25_0006
Revises: 2026_11_25_0005
Create Date: 2026-11-25 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2026_11_25_0006'
down_revision = '2026_11_25_0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'payment_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=16), nullable=False),
        sa.Column('event_id', sa.String(length=255), nullable=False),
        sa.Column('type', sa.String(length=100), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('received_at', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ['order_id'], ['orders.id'], name=op.f('fk_payment_events_order_id_orders')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_events')),
        sa.UniqueConstraint('provider', 'event_id', name=op.f('uq_payment_events_provider')),
    )
    op.create_index(
        'ix_orders_status_created_at', 'orders', ['status', 'created_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_orders_status_created_at', table_name='orders')
    op.drop_table('payment_events')
