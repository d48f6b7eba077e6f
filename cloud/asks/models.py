from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db import Base


class PendingAsk(Base):
    """An ask whose work is done after the answer (cloud.asks.service): written before the
    answer goes, deleted once the work is done."""

    __tablename__ = "pending_asks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What to do (cloud.asks.service.KINDS) and for which address, as typed.
    kind: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254))
    asked_at: Mapped[int] = mapped_column(BigInteger)
    # Taken by a process doing the work until this lease runs out; NULL: nobody is on it.
    claimed_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
