"""sales holds and orders

Ticket types learn their price, currency, sale window and per-order limit, and carry their
own stock counters (``held``, ``sold``), each type's row being the only lock a sale takes.
``sold`` starts as the type's live tickets, so capacity keeps meaning what it meant. New
tables keep buyers' holds and their orders, with the lines and the tickets each issued.

Revision ID: 2026_11_25_0003
Revises: 2026_11_25_0002
Create Date: 2026-11-25 12:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2026_11_25_0003'
down_revision = '2026_11_25_0002'
branch_labels = None
depends_on = None

# Plain ADD/DROP COLUMN and plain create/drop index, not batch_alter_table: see 0002.

def _type_columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column('price', sa.Integer(), server_default='0', nullable=False),
        sa.Column('currency', sa.String(length=3), server_default='EUR', nullable=False),
        sa.Column('sale_starts_at', sa.BigInteger(), nullable=True),
        sa.Column('sale_ends_at', sa.BigInteger(), nullable=True),
        sa.Column('per_order_limit', sa.Integer(), server_default='10', nullable=False),
        sa.Column('held', sa.Integer(), server_default='0', nullable=False),
        sa.Column('sold', sa.Integer(), server_default='0', nullable=False),
    )


def upgrade() -> None:
    for column in _type_columns():
        op.add_column('ticket_types', column)
    op.execute(
        "UPDATE ticket_types SET sold = (SELECT count(*) FROM tickets "
        "WHERE tickets.type_id = ticket_types.id AND tickets.revoked = false)"
    )

    op.create_table('holds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('buyer_email', sa.String(length=254), nullable=False),
        sa.Column('buyer_name', sa.String(length=200), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
        sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_holds_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_holds_token_hash'))
    )
    op.create_index(op.f('ix_holds_event_id'), 'holds', ['event_id'], unique=False)
    op.create_index('ix_holds_state_expires_at', 'holds', ['state', 'expires_at'], unique=False)
    op.create_table('hold_items',
        sa.Column('hold_id', sa.Integer(), nullable=False),
        sa.Column('type_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_hold_items_hold_id_holds')),
    sa.ForeignKeyConstraint(['type_id'], ['ticket_types.id'], name=op.f('fk_hold_items_type_id_ticket_types')),
    sa.PrimaryKeyConstraint('hold_id', 'type_id', name=op.f('pk_hold_items'))
    )
    op.create_index(op.f('ix_hold_items_type_id'), 'hold_items', ['type_id'], unique=False)
    op.create_table('orders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('hold_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('buyer_email', sa.String(length=254), nullable=False),
        sa.Column('buyer_name', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('total', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('payment_provider', sa.String(length=16), nullable=False),
        sa.Column('payment_ref', sa.String(length=100), nullable=True),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
        sa.Column('paid_at', sa.BigInteger(), nullable=True),
        sa.Column('cancelled_at', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_orders_event_id_events')),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_orders_hold_id_holds')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_orders_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('hold_id', name=op.f('uq_orders_hold_id')),
    sa.UniqueConstraint('payment_ref', name=op.f('uq_orders_payment_ref')),
    sa.UniqueConstraint('reference', name=op.f('uq_orders_reference')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_orders_token_hash'))
    )
    op.create_index(op.f('ix_orders_event_id'), 'orders', ['event_id'], unique=False)
    op.create_index(op.f('ix_orders_user_id'), 'orders', ['user_id'], unique=False)
    op.create_table('order_lines',
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('type_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit_price', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders')),
    sa.ForeignKeyConstraint(['type_id'], ['ticket_types.id'], name=op.f('fk_order_lines_type_id_ticket_types')),
    sa.PrimaryKeyConstraint('order_id', 'type_id', name=op.f('pk_order_lines'))
    )
    op.create_table('order_tickets',
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_tickets_order_id_orders')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_order_tickets_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('order_id', 'ticket_id', name=op.f('pk_order_tickets'))
    )


def downgrade() -> None:
    op.drop_table('order_tickets')
    op.drop_table('order_lines')
    op.drop_index(op.f('ix_orders_user_id'), table_name='orders')
    op.drop_index(op.f('ix_orders_event_id'), table_name='orders')
    op.drop_table('orders')
    op.drop_index(op.f('ix_hold_items_type_id'), table_name='hold_items')
    op.drop_table('hold_items')
    op.drop_index('ix_holds_state_expires_at', table_name='holds')
    op.drop_index(op.f('ix_holds_event_id'), table_name='holds')
    op.drop_table('holds')
    for column in reversed(_type_columns()):
        op.drop_column('ticket_types', column.name)
