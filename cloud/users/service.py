"""Accounts: sign-up (buyer, or organizer with an organisation), login, email verification and
password reset. Email links carry a random single-use token stored only as its SHA-256."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.addresses import email_address
from cloud.audit.actions import Action
from cloud.audit.actor import Actor
from cloud.audit.log import record
from cloud.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from cloud.notifications.outbox import enqueue_email
from cloud.orgs.service import add_organisation
from cloud.users import tokens
from cloud.users.models import AccountToken, User, WebSession
from cloud.users.security import digest, hash_password, new_secret, password_matches

VERIFY = "verify"
RESET = "reset"
VERIFY_TTL_S = 3 * 86_400
RESET_TTL_S = 3600

# Verifying against a real hash when the email is unknown keeps the timing of a failed
# login the same whether or not the account exists.
_DUMMY_HASH = hash_password("not a real password, only for timing")


def normal_email(email: str) -> str:
    return email.strip().lower()


def sign_up(
    session: Session,
    email: str,
    password: str,
    name: str,
    *,
    organisation: str | None = None,
    organisation_approved: bool = True,
    public_url: str,
    now: int,
) -> User:
    """A new account; with ``organisation`` (a name) also that organisation, owned by the new
    user (waiting for a platform admin's approval unless ``organisation_approved``). The
    verification email is queued in the same transaction."""
    user = User(
        email=normal_email(email_address(email)),
        name=name.strip(),
        password_hash=hash_password(password),
        created_at=now,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("an account with this email already exists") from exc
    if organisation is not None:
        add_organisation(session, user.id, organisation, now, approved=organisation_approved)
    _send_verification(session, user, public_url, now)
    session.commit()
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    """The account with this email and password. Every attempt is audited, failures too
    (committed before the refusal is raised); never with the password."""
    address = normal_email(email)
    user = session.scalar(select(User).where(User.email == address))
    if user is None:
        password_matches(_DUMMY_HASH, password)
        _login_failed(session, address, None, "no such account")
        raise Unauthorized("wrong email or password")
    if not password_matches(user.password_hash, password):
        _login_failed(session, address, user, "wrong password")
        raise Unauthorized("wrong email or password")
    if user.suspended_at is not None:
        _login_failed(session, address, user, "account suspended")
        raise Forbidden("this account is suspended; contact support")
    record(
        session,
        Action.LOGIN_SUCCEEDED,
        f"{user.email} logged in",
        target=("user", user.id),
        actor=Actor.account(user.id, user.email),
    )
    session.commit()
    return user


def _login_failed(session: Session, address: str, user: User | None, why: str) -> None:
    # What was typed as the address is kept (cut short), so guessing shows up in the log.
    shown = address[:254]
    record(
        session,
        Action.LOGIN_FAILED,
        f"failed login as {shown}: {why}",
        target=("user", user.id) if user is not None else ("email", shown),
        detail={"reason": why},
        actor=Actor(None, shown) if user is None else Actor.account(user.id, user.email),
    )
    session.commit()


def resend_verification(session: Session, user: User, public_url: str, now: int) -> None:
    if user.email_verified_at is None:
        _send_verification(session, user, public_url, now)
    session.commit()


def verify_email(session: Session, token: str, now: int) -> User:
    user = _spend(session, token, VERIFY, now)
    if user.email_verified_at is None:
        user.email_verified_at = now
    session.commit()
    return user


def request_password_reset(session: Session, email: str, public_url: str, now: int) -> None:
    """Email a reset link. Silent when no (active) account has this email, so the answer does
    not tell who has an account; the routes call it after answering (cloud.asks), so
    the answer's timing does not tell either."""
    user = session.scalar(select(User).where(User.email == normal_email(email)))
    if user is None or user.suspended_at is not None:
        session.rollback()
        return
    link = _new_token(session, user, RESET, now, RESET_TTL_S)
    enqueue_email(
        session,
        to=user.email,
        template="password_reset",
        context={"name": user.name, "reset_url": _url(public_url, "/account/reset", link)},
    )
    session.commit()


def reset_password(session: Session, token: str, new_password: str, now: int) -> User:
    """Set the new password and log the account out everywhere: whoever asked for the reset
    may be locking someone else out of a stolen session."""
    if not 8 <= len(new_password) <= 200:
        raise InvalidInput("a password has 8 to 200 characters")
    user = _spend(session, token, RESET, now)
    user.password_hash = hash_password(new_password)
    # The link arrived by email, which proves the address too.
    if user.email_verified_at is None:
        user.email_verified_at = now
    session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == RESET,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    tokens.revoke_all(session, user.id, now)
    record(
        session,
        Action.PASSWORD_RESET,
        f"{user.email} chose a new password through an emailed link; every login ended",
        target=("user", user.id),
        actor=Actor.account(user.id, user.email),
    )
    session.commit()
    return user


def _send_verification(session: Session, user: User, public_url: str, now: int) -> None:
    link = _new_token(session, user, VERIFY, now, VERIFY_TTL_S)
    enqueue_email(
        session,
        to=user.email,
        template="verify_email",
        context={"name": user.name, "verify_url": _url(public_url, "/account/verify", link)},
    )


def _new_token(session: Session, user: User, purpose: str, now: int, ttl_s: int) -> str:
    token = new_secret()
    session.add(
        AccountToken(
            token_hash=digest(token),
            user_id=user.id,
            purpose=purpose,
            created_at=now,
            expires_at=now + ttl_s,
        )
    )
    return token


def _spend(session: Session, token: str, purpose: str, now: int) -> User:
    """The user a valid, unused, unexpired link names; marks the link used (uncommitted)."""
    spent = session.execute(
        update(AccountToken)
        .where(
            AccountToken.token_hash == digest(token),
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(AccountToken.user_id)
    ).first()
    user = session.get(User, spent[0]) if spent is not None else None
    if user is None or user.suspended_at is not None:
        session.rollback()
        raise InvalidInput("this link is invalid, expired or already used; ask for a new one")
    return user


def _url(public_url: str, path: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{path}?{urlencode({'token': token})}"
