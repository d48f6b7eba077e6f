"""Holds and orders. Buyers reach theirs only through an unguessable token, stored hashed;
row ids never leave the cloud."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db import Base


class HoldState:
    ACTIVE = "active"
    EXPIRED = "expired"  # released back to stock after its time ran out
    CHECKED_OUT = "checked_out"  # its seats moved to an order


class OrderStatus:
    PENDING = "pending"  # waiting for the payment provider; its seats stay held
    PAID = "paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class Hold(Base):
    """Seats reserved for a buyer until ``expires_at``; they count against stock meanwhile."""

    __tablename__ = "holds"
    __table_args__ = (Index("ix_holds_state_expires_at", "state", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    buyer_email: Mapped[str] = mapped_column(String(254))
    buyer_name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    # The buyer's account when they were signed in; checkout copies it into the order.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # The voucher applied, how many of its uses (tickets) the hold took, given back if the
    # hold expires, and the money it took off the hold's total (minor units).
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"), nullable=True)
    voucher_uses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    discount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class HoldItem(Base):
    __tablename__ = "hold_items"

    hold_id: Mapped[int] = mapped_column(ForeignKey("holds.id"), primary_key=True)
    # Indexed on its own for releasing one type's expired holds when a buyer finds it full.
    type_id: Mapped[int] = mapped_column(
        ForeignKey("ticket_types.id"), primary_key=True, index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)


class Order(Base):
    """What a buyer bought. ``reference`` is printed on the tickets and shown at the gate;
    the buyer's access token is another, longer secret."""

    __tablename__ = "orders"
    # The worker finds unpaid orders past their time by these, every few seconds.
    __table_args__ = (Index("ix_orders_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("holds.id"), unique=True)
    # Filled once buyers have accounts; the email stays the contact either way.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    buyer_email: Mapped[str] = mapped_column(String(254))
    buyer_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payment_provider: Mapped[str] = mapped_column(String(16))
    # The provider's id for the payment (e.g. a PaymentIntent), to match its webhooks.
    payment_ref: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    paid_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    cancelled_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The buyer's token, sealed with the master key, for the link in emails
    # (cloud.orders.links); None for orders from before it was kept.
    sealed_token: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


# "Find my tickets" looks a buyer's orders up by address, in any letter case.
Index("ix_orders_buyer_email_lower", func.lower(Order.buyer_email))


class TicketLink(Base):
    """The secret link of a ticket given to someone (cloud.orders.giving): it opens the
    holder's page of the ticket, as an order's token opens its buyer's. The database keeps
    the token's digest, to find the ticket, and the token sealed with the master key, to put
    the link in emails again (cloud.orders.links)."""

    __tablename__ = "ticket_links"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sealed_token: Mapped[bytes] = mapped_column(LargeBinary)


class OrderLine(Base):
    __tablename__ = "order_lines"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("ticket_types.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)


class OrderTicket(Base):
    """Which tickets an order issued, so cancelling it revokes exactly those (an organizer's
    complimentary tickets may carry any order number)."""

    __tablename__ = "order_tickets"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)


class PaymentEventRecord(Base):
    """A payment provider's webhook event, written in the transaction of its effect: a
    redelivered event finds its row and changes nothing, a crash leaves no row, so the
    provider's retry applies it."""

    __tablename__ = "payment_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(100))
    # The order it concerned, if it matched one.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), nullable=True)
    received_at: Mapped[int] = mapped_column(BigInteger)


class WaitlistEntry(Base):
    """An address waiting to hear that a sold-out event has tickets again (cloud.orders
    .waitlist). One per event and address; removed a while after it is told, or when the
    event is over."""

    __tablename__ = "waitlist"
    __table_args__ = (
        UniqueConstraint("event_id", "email"),
        Index("ix_waitlist_event_id_created_at", "event_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    # Lower-cased, so one person is in line once however they type it.
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[int] = mapped_column(BigInteger)
    # When it was emailed that seats can be bought; NULL while it waits.
    told_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
