"""An account's mobile number for text messages about its tickets: typed in, confirmed with
a six-digit code sent to it by text (valid 10 minutes, stored only as a digest), removable
at any time. Only a confirmed number is ever written to."""

from __future__ import annotations

import secrets

from sqlalchemy import update
from sqlalchemy.orm import Session

from cloud.errors import InvalidInput
from cloud.notifications.outbox import enqueue_text
from cloud.notifications.phones import normal_phone
from cloud.users.models import AccountToken, User
from cloud.users.security import digest

PHONE = "phone"
CODE_TTL_S = 600


def _code_digest(user_id: int, phone: str, code: str) -> str:
    # The number is part of it: a code only confirms the number it was sent to.
    return digest(f"{PHONE}:{user_id}:{phone}:{code}")


def request_code(session: Session, user: User, typed: str, now: int) -> str:
    """Set ``typed`` (unconfirmed) as the account's number and text it a new code; earlier
    codes stop working. Returns the number as stored."""
    phone = normal_phone(typed)
    user = _locked(session, user)
    _forget_codes(session, user.id, now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        AccountToken(
            token_hash=_code_digest(user.id, phone, code),
            user_id=user.id,
            purpose=PHONE,
            created_at=now,
            expires_at=now + CODE_TTL_S,
        )
    )
    user.phone = phone
    user.phone_verified_at = None
    enqueue_text(session, to=phone, template="phone_code", context={"code": code})
    session.commit()
    return phone


def confirm(session: Session, user: User, code: str, now: int) -> User:
    user = _locked(session, user)
    typed = "".join(code.split())
    if user.phone is None or not (typed.isascii() and typed.isdigit() and len(typed) == 6):
        session.rollback()
        raise InvalidInput("enter the six-digit code we sent to your mobile number")
    spent = session.execute(
        update(AccountToken)
        .where(
            AccountToken.token_hash == _code_digest(user.id, user.phone, typed),
            AccountToken.purpose == PHONE,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise InvalidInput("this code is wrong or expired; ask for a new one")
    user.phone_verified_at = now
    session.commit()
    return user


def remove(session: Session, user: User, now: int) -> None:
    user = _locked(session, user)
    _forget_codes(session, user.id, now)
    user.phone = None
    user.phone_verified_at = None
    session.commit()


def _locked(session: Session, user: User) -> User:
    found = session.get(User, user.id, with_for_update=True)
    assert found is not None
    return found


def _forget_codes(session: Session, user_id: int, now: int) -> None:
    session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == PHONE,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
