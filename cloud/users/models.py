"""Accounts (buyers, organizers and platform admins share one table) and what proves who is
calling: rotating API refresh tokens, web cookie sessions, and single-use email tokens. Every
secret is stored as its SHA-256 only, so a database leak hands out no working credential."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.db import Base


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)
    email_verified_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # A suspended account can neither log in nor use a token or session it already holds.
    suspended_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # A mobile number (E.164, "+4915112345678") for text messages about the account's
    # tickets; used only once ``phone_verified_at`` says a code sent to it came back.
    phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    phone_verified_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class RefreshToken(Base):
    """One link of a rotation chain. Every refresh spends a token and issues the next one in
    the same ``family``; a spent token presented again means a copy is in someone else's
    hands, so the whole family is revoked."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    used_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class WebSession(Base):
    """A browser's login, named by the SHA-256 of its cookie value."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)


class AccountToken(Base):
    """A single-use link sent by email: confirm the address, or choose a new password."""

    __tablename__ = "account_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    used_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
