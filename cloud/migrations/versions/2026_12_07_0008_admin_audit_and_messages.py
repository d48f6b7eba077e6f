"""admin, audit log and messages

The audit log gets its table, which the database itself keeps append-only: triggers refuse
every UPDATE and DELETE (and TRUNCATE on PostgreSQL). Organisations gain an approval moment
(organisations of earlier releases count as approved when they were created), events a
moderation mark with its reason, venues the last time their server called. The outbox gains
a channel (every earlier message was an email) and the holder message a copy belongs to;
holder messages get their table; accounts an optional mobile number for text messages.

Revision ID: 2026_12_07_0008
Revises: 2026_11_25_0007
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2026_12_07_0008'
down_revision = '2026_11_25_0007'
branch_labels = None
depends_on = None

_REFUSE = 'the audit log is append-only'

_POSTGRES_TRIGGERS = [
    f"""
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{_REFUSE}: % is refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    'CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log '
    'FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()',
    'CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log '
    'FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()',
]
_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}: {verb} is refused'); END"
    for verb in ('UPDATE', 'DELETE')
]


def upgrade() -> None:
    op.create_table('audit_log',
        sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('at', sa.BigInteger(), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=254), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=True),
        sa.Column('org_id', sa.Integer(), nullable=True),
        sa.Column('target_type', sa.String(length=32), nullable=False),
        sa.Column('target_id', sa.String(length=64), nullable=False),
        sa.Column('summary', sa.String(length=500), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log')),
    )
    op.create_index('ix_audit_log_action', 'audit_log', ['action', 'seq'], unique=False)
    op.create_index('ix_audit_log_actor_id', 'audit_log', ['actor_id', 'seq'], unique=False)
    op.create_index('ix_audit_log_org_id', 'audit_log', ['org_id', 'seq'], unique=False)
    triggers = _SQLITE_TRIGGERS if op.get_bind().dialect.name == 'sqlite' else _POSTGRES_TRIGGERS
    for statement in triggers:
        op.execute(statement)

    op.add_column('organisations', sa.Column('approved_at', sa.BigInteger(), nullable=True))
    op.execute('UPDATE organisations SET approved_at = created_at')
    op.add_column('events', sa.Column('hidden_at', sa.BigInteger(), nullable=True))
    op.add_column('events', sa.Column('hidden_reason', sa.String(length=500), nullable=True))
    op.add_column('venues', sa.Column('last_seen_at', sa.BigInteger(), nullable=True))
    op.add_column('users', sa.Column('phone', sa.String(length=16), nullable=True))
    op.add_column('users', sa.Column('phone_verified_at', sa.BigInteger(), nullable=True))

    op.add_column(
        'outbox', sa.Column('channel', sa.String(length=8), server_default='email', nullable=False)
    )
    op.add_column('outbox', sa.Column('batch', sa.String(length=36), nullable=True))
    op.create_index(op.f('ix_outbox_batch'), 'outbox', ['batch'], unique=False)
    op.create_table('holder_messages',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('sender_id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('emails', sa.Integer(), nullable=False),
        sa.Column('texts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_holder_messages_event_id_events')),
        sa.ForeignKeyConstraint(['sender_id'], ['users.id'], name=op.f('fk_holder_messages_sender_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_holder_messages')),
    )
    op.create_index(op.f('ix_holder_messages_event_id'), 'holder_messages', ['event_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_holder_messages_event_id'), table_name='holder_messages')
    op.drop_table('holder_messages')
    op.drop_index(op.f('ix_outbox_batch'), table_name='outbox')
    op.drop_column('outbox', 'batch')
    op.drop_column('outbox', 'channel')
    op.drop_column('users', 'phone_verified_at')
    op.drop_column('users', 'phone')
    op.drop_column('venues', 'last_seen_at')
    op.drop_column('events', 'hidden_reason')
    op.drop_column('events', 'hidden_at')
    op.drop_column('organisations', 'approved_at')
    # Dropping the table drops its triggers with it.
    op.drop_index('ix_audit_log_org_id', table_name='audit_log')
    op.drop_index('ix_audit_log_actor_id', table_name='audit_log')
    op.drop_index('ix_audit_log_action', table_name='audit_log')
    op.drop_table('audit_log')
    if op.get_bind().dialect.name != 'sqlite':
        op.execute('DROP FUNCTION audit_log_append_only()')
