"""Vouchers: promo codes an organizer hands out, each taking money off an event's tickets."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db import Base


class Voucher(Base):
    """A code buyers type when holding tickets. Exactly one of ``percent_off`` and
    ``amount_off`` (minor units per ticket) is set. ``used`` counts tickets, changed only by
    single-row UPDATEs that cannot pass ``max_uses`` (cloud.vouchers.service; on PostgreSQL a
    CHECK constraint refuses it too)."""

    __tablename__ = "vouchers"
    # Codes are kept in capitals, so this makes them unique per event regardless of case.
    __table_args__ = (UniqueConstraint("event_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    code: Mapped[str] = mapped_column(String(40))
    percent_off: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amount_off: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # When buyers may use it (Unix seconds; NULL: no bound).
    valid_from: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    valid_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Tickets it may discount in all (NULL: no limit), and tickets in live holds and orders
    # it discounts; expired holds give theirs back.
    max_uses: Mapped[int | None] = mapped_column(Integer, nullable=True)
    used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[int] = mapped_column(BigInteger)


class VoucherTicketType(Base):
    """The ticket types a voucher is restricted to; a voucher without rows here applies to
    every type of its event."""

    __tablename__ = "voucher_ticket_types"

    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"), primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("ticket_types.id"), primary_key=True)
