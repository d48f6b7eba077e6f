"""order links in emails

Orders keep their buyer's token sealed with the master key, so that the emails carrying
their tickets (the confirmation, sent when the payment is confirmed, and "Find my tickets")
link to the order's page. Orders of earlier releases have none; their emails go without it.

Revision ID: 2026_12_07_0011
Revises: 2026_12_07_0010
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2026_12_07_0011'
down_revision = '2026_12_07_0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('orders', sa.Column('sealed_token', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35 and later) rather than a table rebuild, which would lose
    # the index on lower(buyer_email): SQLite cannot reflect an index on an expression.
    op.execute('ALTER TABLE orders DROP COLUMN sealed_token')
