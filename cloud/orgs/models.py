from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db import Base


class Role(StrEnum):
    """What a member may do, each role including the ones below it."""

    VIEWER = "viewer"  # sees events, sales and scans
    MANAGER = "manager"  # also creates and changes venues, events and tickets
    OWNER = "owner"  # also manages the members

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_RANKS = {Role.VIEWER: 1, Role.MANAGER: 2, Role.OWNER: 3}


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)
    # A suspended organisation's members cannot act in it; its data stays.
    suspended_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # When a platform admin let it publish events; NULL while it waits for approval (only
    # when the platform requires it, see CloudSettings.approve_organisations).
    approved_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Membership(Base):
    __tablename__ = "memberships"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[int] = mapped_column(BigInteger)
