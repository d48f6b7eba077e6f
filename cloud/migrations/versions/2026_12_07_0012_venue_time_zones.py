"""venue time zones

Each venue has the IANA time zone its events' times are shown and typed in. Venues of
earlier releases get UTC, the zone every time was shown in before.

Revision ID: 2026_12_07_0012
Revises: 2026_12_07_0011
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2026_12_07_0012'
down_revision = '2026_12_07_0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'venues',
        sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False),
    )


def downgrade() -> None:
    op.execute('ALTER TABLE venues DROP COLUMN timezone')
