"""Platform admins are made from the command line, never through the API: whoever runs
``bilten cloud admin create`` already controls the server."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.addresses import email_address
from cloud.audit.actions import Action
from cloud.audit.actor import COMMAND_LINE
from cloud.audit.log import record
from cloud.errors import InvalidInput
from cloud.users.models import User
from cloud.users.security import hash_password
from cloud.users.service import normal_email


def make_admin(
    session: Session, email: str, *, name: str, password: Callable[[], str], now: int
) -> tuple[User, bool]:
    """Promote the account with ``email``, or create it (asking ``password()`` only then).
    Returns the user and whether it was created."""
    address = normal_email(email_address(email))
    user = session.scalar(select(User).where(User.email == address))
    created = user is None
    if user is None:
        secret = password()
        if not 8 <= len(secret) <= 200:
            raise InvalidInput("a password has 8 to 200 characters")
        user = User(
            email=address,
            name=name.strip() or "Admin",
            password_hash=hash_password(secret),
            created_at=now,
            # The operator typed the address in on the server; no link needs to prove it.
            email_verified_at=now,
        )
        session.add(user)
    was_admin = user.is_admin and user.suspended_at is None and not created
    user.is_admin = True
    user.suspended_at = None
    if not was_admin:
        session.flush()
        record(
            session,
            Action.ADMIN_GRANTED,
            f"{address} made a platform admin" + (" (new account)" if created else ""),
            target=("user", user.id),
            actor=COMMAND_LINE,
        )
    session.commit()
    return user, created
