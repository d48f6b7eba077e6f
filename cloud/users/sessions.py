"""Web (cookie) sessions for the pages. The cookie holds a random value; the database keeps
only its SHA-256, so reading the table does not let anyone in."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cloud.users.models import User, WebSession
from cloud.users.security import digest, new_secret


def start_session(session: Session, user_id: int, now: int, ttl_s: int) -> str:
    """A new session for ``user_id``; returns the cookie value."""
    token = new_secret()
    session.add(
        WebSession(
            token_hash=digest(token), user_id=user_id, created_at=now, expires_at=now + ttl_s
        )
    )
    session.commit()
    return token


def session_user(session: Session, token: str, now: int) -> User | None:
    """The session's user, or None when the session is unknown, expired or the user suspended."""
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == digest(token))
    ).first()
    if row is None:
        return None
    web_session, user = row[0], row[1]
    if web_session.expires_at <= now or user.suspended_at is not None:
        return None
    return user


def end_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == digest(token)))
    session.commit()


def end_all_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    session.commit()
