from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db import Base


class Venue(Base):
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The IANA zone its times are shown and typed in (cloud.venues.zones).
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # SHA-256 of the API key: the key has 256 random bits, so a slow hash buys nothing.
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    # When the venue's server last called the cloud with its key (to the minute), or NULL.
    last_seen_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
