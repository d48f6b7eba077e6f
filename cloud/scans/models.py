from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db import Base


class Scan(Base):
    """A scan as the venue uploaded it. Never updated: derived facts live in other tables."""

    __tablename__ = "scans"
    __table_args__ = (Index("ix_scans_event_ticket", "event_id", "ticket_ref"),)

    scan_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ticket_ref: Mapped[str | None] = mapped_column(String(20), nullable=True)
    device_id: Mapped[str] = mapped_column(String(200))
    device_name: Mapped[str] = mapped_column(String(200))
    gate: Mapped[str] = mapped_column(String(200))
    hlc: Mapped[str] = mapped_column(String(100))
    scanned_at_ms: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(32))
    raw: Mapped[str | None] = mapped_column(String(512), nullable=True)
    # How the gate was set up and who stood at it; server defaults describe the scans stored
    # before gates reported these (entry gates, scanned, no staff name).
    direction: Mapped[str] = mapped_column(String(8), server_default="entry")
    zone: Mapped[str] = mapped_column(String(200), server_default="")
    manual: Mapped[bool] = mapped_column(Boolean, server_default="0")
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    staff: Mapped[str] = mapped_column(String(200), server_default="")
    received_at: Mapped[int] = mapped_column(BigInteger)


class ScanConflict(Base):
    """An admission that lost to an earlier one of the same ticket (``shared.rules`` order)."""

    __tablename__ = "scan_conflicts"

    scan_id: Mapped[str] = mapped_column(ForeignKey("scans.scan_id"), primary_key=True)
    winner_scan_id: Mapped[str] = mapped_column(ForeignKey("scans.scan_id"))
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    ticket_ref: Mapped[str] = mapped_column(String(20))
    detected_at: Mapped[int] = mapped_column(BigInteger)
