"""API credentials: a 15-minute JWT access token and an opaque refresh token that rotates.

Each refresh spends the presented token and issues the next one of the same family. A spent
token presented again means two parties hold it (a stolen copy, or the legitimate client after
the thief refreshed first): the whole family is revoked, so both must log in again."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloud.errors import Unauthorized
from cloud.settings import CloudSettings
from cloud.users.models import RefreshToken, User
from cloud.users.security import digest, issue_access_token, new_secret


@dataclass(frozen=True, slots=True)
class TokenPair:
    user_id: int
    access_token: str
    refresh_token: str
    expires_in: int


def issue_pair(
    session: Session, user_id: int, settings: CloudSettings, now: int, family: str | None = None
) -> TokenPair:
    """A new access token and refresh token, the latter added to ``session`` (uncommitted)."""
    refresh = new_secret()
    session.add(
        RefreshToken(
            user_id=user_id,
            family=family or secrets.token_hex(16),
            token_hash=digest(refresh),
            created_at=now,
            expires_at=now + settings.refresh_token_ttl_s,
        )
    )
    access = issue_access_token(user_id, settings.jwt_secret, settings.access_token_ttl_s)
    return TokenPair(user_id, access, refresh, settings.access_token_ttl_s)


def start(session: Session, user_id: int, settings: CloudSettings, now: int) -> TokenPair:
    """A new family, for a login or sign-up."""
    pair = issue_pair(session, user_id, settings, now)
    session.commit()
    return pair


def rotate(session: Session, refresh_token: str, settings: CloudSettings, now: int) -> TokenPair:
    row = session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == digest(refresh_token))
    )
    if row is None or row.revoked_at is not None:
        session.rollback()
        raise Unauthorized("invalid refresh token; log in again")
    # Spending is one conditional UPDATE, so of two concurrent refreshes with the same token
    # exactly one wins and the other counts as reuse.
    spent = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        _revoke(session, row.family, now)
        session.commit()
        raise Unauthorized("this refresh token was already used; log in again")
    if row.expires_at <= now:
        session.commit()
        raise Unauthorized("refresh token expired; log in again")
    user = session.get(User, row.user_id)
    if user is None or user.suspended_at is not None:
        _revoke(session, row.family, now)
        session.commit()
        raise Unauthorized("this account is suspended")
    pair = issue_pair(session, row.user_id, settings, now, family=row.family)
    session.commit()
    return pair


def revoke_family_of(session: Session, refresh_token: str, now: int) -> None:
    """Log out: the token's whole family stops working. Unknown tokens change nothing."""
    family = session.scalar(
        select(RefreshToken.family).where(RefreshToken.token_hash == digest(refresh_token))
    )
    if family is not None:
        _revoke(session, family, now)
    session.commit()


def revoke_all(session: Session, user_id: int, now: int) -> None:
    """Every refresh token of the user stops working (in ``session``'s transaction)."""
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _revoke(session: Session, family: str, now: int) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
