from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db import Base


class OutboxStatus:
    QUEUED = "queued"
    SENT = "sent"
    DEAD = "dead"


class Channel:
    """How a message travels: its ``recipient`` is an email address or a phone number."""

    EMAIL = "email"
    SMS = "sms"


CHANNELS = (Channel.EMAIL, Channel.SMS)


class OutboxMessage(Base):
    """One message to send (an email or a text message). Written in the transaction of the
    change it reports, so it exists exactly when that change committed; the worker sends it
    later.

    ``next_attempt_at`` is when a queued message is next due. A worker that claims a message
    pushes it a lease ahead, so other workers leave it alone while it is being sent and a
    worker that dies mid-send lets it become due again."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    # A UUID rather than a counter: it is also the Message-ID, which must stay unique across
    # databases (a restored backup, a reset demo) for receivers that dedupe on it.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), default=Channel.EMAIL, server_default="email")
    recipient: Mapped[str] = mapped_column(String(320))
    template: Mapped[str] = mapped_column(String(64))
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    sent_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The holder message (HolderMessage.id) this is one copy of, to show its progress.
    batch: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)


class HolderMessage(Base):
    """An organizer's message to every ticket holder of an event: one outbox row per
    recipient and channel, queued in the transaction that writes this row."""

    __tablename__ = "holder_messages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    emails: Mapped[int] = mapped_column(Integer)
    texts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[int] = mapped_column(BigInteger)
