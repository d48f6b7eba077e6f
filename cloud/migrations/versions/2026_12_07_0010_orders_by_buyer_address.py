"""orders found by their buyer's address

"Find my tickets" emails a buyer's tickets again, looking their orders up by the address they
bought with, in any letter case: an index on the lower-cased address keeps that one lookup
instead of a scan of every order.

Revision ID: 2026_12_07_0010
Revises: 2026_12_07_0009
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2026_12_07_0010'
down_revision = '2026_12_07_0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_orders_buyer_email_lower', 'orders', [sa.text('lower(buyer_email)')])


def downgrade() -> None:
    op.drop_index('ix_orders_buyer_email_lower', table_name='orders')
