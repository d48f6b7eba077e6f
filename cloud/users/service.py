from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.clock import now_s
from cloud.errors import Conflict, Unauthorized
from cloud.users.models import User
from cloud.users.security import hash_password, password_matches

# Verifying against a real hash when the email is unknown keeps the timing of a failed
# login the same whether or not the account exists.
_DUMMY_HASH = hash_password("not a real password, only for timing")


def _normal(email: str) -> str:
    return email.strip().lower()


def sign_up(session: Session, email: str, password: str, name: str) -> User:
    user = User(
        email=_normal(email),
        name=name.strip(),
        password_hash=hash_password(password),
        created_at=now_s(),
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("an account with this email already exists") from exc
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    user = session.scalar(select(User).where(User.email == _normal(email)))
    if user is None:
        password_matches(_DUMMY_HASH, password)
        raise Unauthorized("wrong email or password")
    if not password_matches(user.password_hash, password):
        raise Unauthorized("wrong email or password")
    return user
