"""initial schema

Revision ID: 2026_11_25_0001
Revises:
Create Date: 2026-11-25 10:06:44.688510
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2026_11_25_0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('venues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organizer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('api_key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['organizer_id'], ['users.id'], name=op.f('fk_venues_organizer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venues')),
    sa.UniqueConstraint('api_key_hash', name=op.f('uq_venues_api_key_hash'))
    )
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_venues_organizer_id'), ['organizer_id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organizer_id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.BigInteger(), nullable=False),
    sa.Column('ends_at', sa.BigInteger(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['organizer_id'], ['users.id'], name=op.f('fk_events_organizer_id_users')),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_events_venue_id_venues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_organizer_id'), ['organizer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_venue_id'), ['venue_id'], unique=False)

    op.create_table('scans',
    sa.Column('scan_id', sa.String(length=36), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('ticket_ref', sa.String(length=20), nullable=True),
    sa.Column('device_id', sa.String(length=200), nullable=False),
    sa.Column('device_name', sa.String(length=200), nullable=False),
    sa.Column('gate', sa.String(length=200), nullable=False),
    sa.Column('hlc', sa.String(length=100), nullable=False),
    sa.Column('scanned_at_ms', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('raw', sa.String(length=512), nullable=True),
    sa.Column('received_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_scans_venue_id_venues')),
    sa.PrimaryKeyConstraint('scan_id', name=op.f('pk_scans'))
    )
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.create_index('ix_scans_event_ticket', ['event_id', 'ticket_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_scans_venue_id'), ['venue_id'], unique=False)

    op.create_table('scan_conflicts',
    sa.Column('scan_id', sa.String(length=36), nullable=False),
    sa.Column('winner_scan_id', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('ticket_ref', sa.String(length=20), nullable=False),
    sa.Column('detected_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['scan_id'], ['scans.scan_id'], name=op.f('fk_scan_conflicts_scan_id_scans')),
    sa.ForeignKeyConstraint(['winner_scan_id'], ['scans.scan_id'], name=op.f('fk_scan_conflicts_winner_scan_id_scans')),
    sa.PrimaryKeyConstraint('scan_id', name=op.f('pk_scan_conflicts'))
    )
    with op.batch_alter_table('scan_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scan_conflicts_event_id'), ['event_id'], unique=False)

    op.create_table('signing_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.String(length=43), nullable=False),
    sa.Column('sealed_private_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_signing_keys_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_keys'))
    )
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signing_keys_event_id'), ['event_id'], unique=False)

    op.create_table('ticket_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_ticket_types_event_id_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_types'))
    )
    with op.batch_alter_table('ticket_types', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_types_event_id'), ['event_id'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_ref', sa.String(length=20), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('holder_name', sa.String(length=200), nullable=False),
    sa.Column('holder_email', sa.String(length=254), nullable=True),
    sa.Column('token', sa.String(length=200), nullable=False),
    sa.Column('issued_at', sa.BigInteger(), nullable=False),
    sa.Column('valid_from', sa.BigInteger(), nullable=True),
    sa.Column('valid_until', sa.BigInteger(), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_tickets_event_id_events')),
    sa.ForeignKeyConstraint(['key_id'], ['signing_keys.id'], name=op.f('fk_tickets_key_id_signing_keys')),
    sa.ForeignKeyConstraint(['type_id'], ['ticket_types.id'], name=op.f('fk_tickets_type_id_ticket_types')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('ticket_ref', name=op.f('uq_tickets_ticket_ref'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_event_seq', ['event_id', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_type_id'), ['type_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_type_id'))
        batch_op.drop_index('ix_tickets_event_seq')

    op.drop_table('tickets')
    with op.batch_alter_table('ticket_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_types_event_id'))

    op.drop_table('ticket_types')
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signing_keys_event_id'))

    op.drop_table('signing_keys')
    with op.batch_alter_table('scan_conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scan_conflicts_event_id'))

    op.drop_table('scan_conflicts')
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scans_venue_id'))
        batch_op.drop_index('ix_scans_event_ticket')

    op.drop_table('scans')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_venue_id'))
        batch_op.drop_index(batch_op.f('ix_events_organizer_id'))

    op.drop_table('events')
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_venues_organizer_id'))

    op.drop_table('venues')
    op.drop_table('users')
