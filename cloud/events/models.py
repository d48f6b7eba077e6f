from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db import Base


class Event(Base):
    __tablename__ = "events"
    # The storefront lists published events that have not ended, soonest first.
    __table_args__ = (Index("ix_events_starts_at", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[int] = mapped_column(BigInteger)
    ends_at: Mapped[int] = mapped_column(BigInteger)
    # The last manifest change number handed out; only manifest readers take this row's lock
    # and number the committed changes after it (cloud.tickets.changes).
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[int] = mapped_column(BigInteger)
    # What buyers read on the event's page: plain text, never markup.
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The stored media names (cloud.media) of the event's picture and its thumbnail, or None.
    image: Mapped[str | None] = mapped_column(String(100), nullable=True)
    image_thumbnail: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # When buyers could first see and buy it; NULL while it is a draft.
    published_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Set when a platform admin took the event off sale (moderation), with the reason the
    # organizer is shown; it cannot be published again until an admin restores it.
    hidden_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    hidden_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Whether buyers may give their tickets to others (cloud.orders.giving); an organizer
    # whose door checks names turns it off.
    allow_giving: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class TicketType(Base):
    __tablename__ = "ticket_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(Integer)
    # Admissions one ticket of this type allows (0: no limit); gates count them with
    # shared.rules. With ``reentry`` a holder who went out through an exit gate comes back in
    # without using one.
    max_entries: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    reentry: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # What one ticket costs, in the currency's minor unit (cents), and the ISO 4217 code.
    price: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    # When buyers may hold this type (Unix seconds; NULL: from now on / until the end).
    sale_starts_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sale_ends_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    per_order_limit: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    # The stock counters, changed by single-row UPDATEs that cannot pass the capacity
    # (cloud.events.stock; on PostgreSQL a CHECK constraint, ``sold + held <= capacity``,
    # refuses it too), so each type's row is its own lock and selling one type never waits
    # for another. ``held`` counts seats in holds and unpaid orders,
    # including holds that expired but are not yet released; ``sold`` counts live tickets,
    # complimentary ones included.
    held: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sold: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SigningKey(Base):
    """An event's Ed25519 key. The private half is AES-256-GCM sealed under the master key,
    with the key id as associated data so a sealed key cannot be swapped onto another row."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(43))
    sealed_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[int] = mapped_column(BigInteger)
