from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db import Base


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_event_seq", "event_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_ref: Mapped[str] = mapped_column(String(20), unique=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("ticket_types.id"), index=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    holder_name: Mapped[str] = mapped_column(String(200), default="")
    holder_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # The order the ticket was sold in (the shop's or an external system's number), so staff
    # can find every ticket of an order at the gate.
    order_ref: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    token: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[int] = mapped_column(BigInteger)
    valid_from: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    valid_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # The event change number of this ticket's latest change; the manifest pages on it.
    seq: Mapped[int] = mapped_column(BigInteger)
    # When the buyer of its order gave it to its holder (cloud.orders.giving): the buyer's
    # pages no longer show its code.
    given_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    # The ticket issued in its place when it was given away; this one is revoked. Indexed:
    # a given ticket's page and emails name who gave it, the holder of the one it replaced.
    replaced_by: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
