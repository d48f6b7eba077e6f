"""stock limits kept by the database itself

On PostgreSQL a ticket type's sold and held seats can no longer add up past its capacity,
nor a voucher's uses past its limit: CHECK constraints refuse the write. Holds take their
seats with a plain increment that the constraint guards, so the increment and the COMMIT
can go to the server together (cloud.events.stock.committed_together). SQLite serves one
writer at a time and keeps the conditional updates; it gets no constraint.

Revision ID: 2026_12_07_0009
Revises: 2026_12_07_0008
Create Date: 2026-12-07 13:00:00
"""

from __future__ import annotations

from alembic import op

revision = '2026_12_07_0009'
down_revision = '2026_12_07_0008'
branch_labels = None
depends_on = None

# The names cloud.events.stock and cloud.vouchers.service recognise in a refused write.
_CONSTRAINTS = [
    ('ticket_types', 'ck_ticket_types_within_capacity', 'sold + held <= capacity'),
    ('vouchers', 'ck_vouchers_within_max_uses', 'max_uses IS NULL OR used <= max_uses'),
]


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        return
    for table, name, condition in _CONSTRAINTS:
        op.execute(f'ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({condition})')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        return
    for table, name, _condition in _CONSTRAINTS:
        op.execute(f'ALTER TABLE {table} DROP CONSTRAINT {name}')
