from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db import Base


class AuditEntry(Base):
    """One recorded action. Rows are never changed or deleted: the database refuses UPDATE
    and DELETE on this table (triggers made by the migration), and each row's ``hash``
    covers its fields and the previous row's hash, so a row changed or removed behind the
    database's back breaks the chain (``bilten cloud audit verify``).

    ``seq`` numbers the rows without gaps in the order they were written; ``detail`` is
    canonical JSON text (sorted keys, no spaces), stored as text so the hash is computed
    over exactly the bytes kept. No secret or password ever goes in."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_action", "action", "seq"),
        Index("ix_audit_log_actor_id", "actor_id", "seq"),
        Index("ix_audit_log_org_id", "org_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    # Who did it: an account (its id and its email at the time), or a named part of the
    # platform ("system", "stripe", "command line") with no account.
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    # The organisation the action concerned, when one did, so it can be filtered by.
    org_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(500))
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
