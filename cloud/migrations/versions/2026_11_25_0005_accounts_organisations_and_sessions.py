"""accounts organisations and sessions

Buyers and organizers share the users table, which learns email verification, platform admins
and suspension. Venues and events now belong to organisations, which people join as owner,
manager or viewer. Every user who owned venues or events gets an organisation with the same id,
named after them, with them as its owner, so ``organizer_id`` values stay as they were and only
their foreign keys move from users to organisations. API refresh tokens, web sessions and
single-use email tokens get their tables.

Revision ID: 2026_11_25_0005
Revises: 2026_11_25_0004
Create Date: 2026-11-25 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2026_11_25_0005'
down_revision = '2026_11_25_0004'
branch_labels = None
depends_on = None

_OWNED = ('events', 'venues')


def upgrade() -> None:
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('suspended_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations'))
    )
    op.create_table('memberships',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_memberships_org_id_organisations')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users')),
    sa.PrimaryKeyConstraint('org_id', 'user_id', name=op.f('pk_memberships'))
    )
    op.create_index(op.f('ix_memberships_user_id'), 'memberships', ['user_id'], unique=False)
    op.create_table('refresh_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('family', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.Column('used_at', sa.BigInteger(), nullable=True),
    sa.Column('revoked_at', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_refresh_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_refresh_tokens_token_hash'))
    )
    op.create_index(op.f('ix_refresh_tokens_family'), 'refresh_tokens', ['family'], unique=False)
    op.create_index(op.f('ix_refresh_tokens_user_id'), 'refresh_tokens', ['user_id'], unique=False)
    op.create_table('web_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_web_sessions'))
    )
    op.create_index(op.f('ix_web_sessions_user_id'), 'web_sessions', ['user_id'], unique=False)
    op.create_table('account_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.Column('used_at', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_account_tokens'))
    )
    op.create_index(op.f('ix_account_tokens_user_id'), 'account_tokens', ['user_id'], unique=False)

    # Plain ADD COLUMN with constant defaults, as in 0002: no copy of a referenced table.
    op.add_column('users', sa.Column('email_verified_at', sa.BigInteger(), nullable=True))
    op.add_column(
        'users', sa.Column('is_admin', sa.Boolean(), server_default='0', nullable=False)
    )
    op.add_column('users', sa.Column('suspended_at', sa.BigInteger(), nullable=True))

    # Each user who owns something becomes the owner of an organisation with their own id.
    owners = 'SELECT organizer_id FROM events UNION SELECT organizer_id FROM venues'
    op.execute(
        'INSERT INTO organisations (id, name, created_at) '
        f'SELECT id, name, created_at FROM users WHERE id IN ({owners})'
    )
    op.execute(
        "INSERT INTO memberships (org_id, user_id, role, created_at) "
        "SELECT id, id, 'owner', created_at FROM organisations"
    )
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        # The ids were copied in, so the sequence has not moved past them yet.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('organisations', 'id'), "
            "COALESCE((SELECT max(id) FROM organisations), 0) + 1, false)"
        )
    for table in _OWNED:
        _repoint(table, 'users', 'organisations')


def downgrade() -> None:
    # Back to one owning user per row: the organisation's first owner.
    for table in _OWNED:
        op.execute(
            f'UPDATE {table} SET organizer_id = (SELECT min(m.user_id) FROM memberships m '
            f"WHERE m.org_id = {table}.organizer_id AND m.role = 'owner')"
        )
        _repoint(table, 'organisations', 'users')
    op.drop_column('users', 'suspended_at')
    op.drop_column('users', 'is_admin')
    op.drop_column('users', 'email_verified_at')
    op.drop_index(op.f('ix_account_tokens_user_id'), table_name='account_tokens')
    op.drop_table('account_tokens')
    op.drop_index(op.f('ix_web_sessions_user_id'), table_name='web_sessions')
    op.drop_table('web_sessions')
    op.drop_index(op.f('ix_refresh_tokens_user_id'), table_name='refresh_tokens')
    op.drop_index(op.f('ix_refresh_tokens_family'), table_name='refresh_tokens')
    op.drop_table('refresh_tokens')
    op.drop_index(op.f('ix_memberships_user_id'), table_name='memberships')
    op.drop_table('memberships')
    op.drop_table('organisations')


def _repoint(table: str, old: str, new: str) -> None:
    """Move ``table.organizer_id``'s foreign key from ``old``.id to ``new``.id."""
    old_name = f'fk_{table}_organizer_id_{old}'
    new_name = f'fk_{table}_organizer_id_{new}'
    if op.get_bind().dialect.name != 'sqlite':
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(old_name, type_='foreignkey')
            batch_op.create_foreign_key(new_name, new, ['organizer_id'], ['id'])
        return
    # SQLite cannot alter a constraint, and a batch copy would drop a table that tickets and
    # orders reference, which foreign keys refuse inside the migration's transaction (see
    # 0002). Only the constraint's text changes, no stored row, so this is SQLite's own
    # documented procedure for such a change: edit the table's definition in the schema and
    # bump the schema version so every connection rereads it.
    before = f'CONSTRAINT {old_name} FOREIGN KEY(organizer_id) REFERENCES {old} (id)'
    after = f'CONSTRAINT {new_name} FOREIGN KEY(organizer_id) REFERENCES {new} (id)'
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    if sql.count(before) != 1:
        raise RuntimeError(f'unexpected definition of {table}: {sql}')
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar_one()
    bind.exec_driver_sql('PRAGMA writable_schema = ON')
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
        (sql.replace(before, after), table),
    )
    bind.exec_driver_sql(f'PRAGMA schema_version = {int(version) + 1}')
    bind.exec_driver_sql('PRAGMA writable_schema = OFF')
    violations = bind.exec_driver_sql(f'PRAGMA foreign_key_check({table})').fetchall()
    if violations:
        raise RuntimeError(f'{table} rows point at missing {new}: {violations[:5]}')
