"""ticket links

A ticket given to someone gets a secret link of its own, to a page where its holder sees,
prints and gives it on: the digest of its token, to find the ticket, and the token sealed with
the master key, to put the link in emails again. Tickets given before have none. The page
and emails name who gave the ticket, found by the ticket it replaced: now indexed.

Revision ID: 2026_12_08_0016
Revises: 2026_12_07_0015
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2026_12_08_0016'
down_revision = '2026_12_07_0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ticket_links',
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('sealed_token', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_links_ticket_id_tickets')
        ),
        sa.PrimaryKeyConstraint('ticket_id', name=op.f('pk_ticket_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_ticket_links_token_hash')),
    )
    op.create_index(op.f('ix_tickets_replaced_by'), 'tickets', ['replaced_by'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_tickets_replaced_by'), table_name='tickets')
    op.drop_table('ticket_links')
