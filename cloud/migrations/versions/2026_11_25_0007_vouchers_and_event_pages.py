"""vouchers and event pages

Events gain a description, a picture (its stored media names) and a publication moment
(NULL: a draft buyers cannot see or buy); events of earlier releases were on sale, so they
count as published when they were created. Vouchers (promo codes) get their tables, and holds
remember the voucher they used, the uses they took and the discount, and the buyer's account.

Revision ID: 2026_11_25_0007
Revises: 2026_11_25_0006
Create Date: 2026-11-25 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2026_11_25_0007'
down_revision = '2026_11_25_0006'
branch_labels = None
depends_on = None

# Plain ADD/DROP COLUMN, not batch_alter_table: a batch copy of events or holds would drop a
# table others reference, which foreign keys refuse inside the migration's transaction (see
# 0002). SQLite adds a column with a REFERENCES clause in place when its default is NULL.

_HOLD_REFERENCES = (('user_id', 'users'), ('voucher_id', 'vouchers'))


def upgrade() -> None:
    op.add_column('events', sa.Column('description', sa.Text(), server_default='', nullable=False))
    op.add_column('events', sa.Column('image', sa.String(length=100), nullable=True))
    op.add_column('events', sa.Column('image_thumbnail', sa.String(length=100), nullable=True))
    op.add_column('events', sa.Column('published_at', sa.BigInteger(), nullable=True))
    op.execute('UPDATE events SET published_at = created_at')
    op.create_index('ix_events_starts_at', 'events', ['starts_at'], unique=False)

    op.create_table('vouchers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('percent_off', sa.Integer(), nullable=True),
        sa.Column('amount_off', sa.Integer(), nullable=True),
        sa.Column('valid_from', sa.BigInteger(), nullable=True),
        sa.Column('valid_until', sa.BigInteger(), nullable=True),
        sa.Column('max_uses', sa.Integer(), nullable=True),
        sa.Column('used', sa.Integer(), server_default='0', nullable=False),
        sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_vouchers_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vouchers')),
    sa.UniqueConstraint('event_id', 'code', name=op.f('uq_vouchers_event_id'))
    )
    op.create_table('voucher_ticket_types',
        sa.Column('voucher_id', sa.Integer(), nullable=False),
        sa.Column('type_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['type_id'], ['ticket_types.id'], name=op.f('fk_voucher_ticket_types_type_id_ticket_types')),
    sa.ForeignKeyConstraint(['voucher_id'], ['vouchers.id'], name=op.f('fk_voucher_ticket_types_voucher_id_vouchers')),
    sa.PrimaryKeyConstraint('voucher_id', 'type_id', name=op.f('pk_voucher_ticket_types'))
    )

    sqlite = op.get_bind().dialect.name == 'sqlite'
    for column, table in _HOLD_REFERENCES:
        name = f'fk_holds_{column}_{table}'
        if sqlite:
            # SQLite cannot add a constraint to a table, only a column that carries one.
            op.execute(
                f'ALTER TABLE holds ADD COLUMN {column} INTEGER '
                f'CONSTRAINT {name} REFERENCES {table} (id)'
            )
        else:
            op.add_column('holds', sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(op.f(name), 'holds', table, [column], ['id'])
    op.add_column(
        'holds', sa.Column('voucher_uses', sa.Integer(), server_default='0', nullable=False)
    )
    op.add_column(
        'holds', sa.Column('discount', sa.BigInteger(), server_default='0', nullable=False)
    )


def downgrade() -> None:
    op.drop_column('holds', 'discount')
    op.drop_column('holds', 'voucher_uses')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for column, table in reversed(_HOLD_REFERENCES):
        if not sqlite:
            op.drop_constraint(op.f(f'fk_holds_{column}_{table}'), 'holds', type_='foreignkey')
        op.drop_column('holds', column)
    op.drop_table('voucher_ticket_types')
    op.drop_table('vouchers')
    op.drop_index('ix_events_starts_at', table_name='events')
    op.drop_column('events', 'published_at')
    op.drop_column('events', 'image_thumbnail')
    op.drop_column('events', 'image')
    op.drop_column('events', 'description')
