"""What platform admins do to accounts and organisations. Suspending an account also ends
its web sessions and refresh tokens, so it is out at once, not when a token expires."""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, NotFound
from cloud.orgs.models import Membership, Organisation
from cloud.users import tokens
from cloud.users.models import User, WebSession


def list_users(session: Session, *, query: str | None, limit: int, offset: int) -> list[User]:
    statement = select(User).order_by(User.id).limit(limit).offset(offset)
    if query:
        pattern = f"%{query.strip().lower()}%"
        statement = statement.where(
            or_(func.lower(User.email).like(pattern), func.lower(User.name).like(pattern))
        )
    return list(session.scalars(statement))


def list_organisations(
    session: Session, *, query: str | None, limit: int, offset: int
) -> list[tuple[Organisation, int]]:
    """Organisations with their member counts."""
    members = (
        select(func.count())
        .select_from(Membership)
        .where(Membership.org_id == Organisation.id)
        .scalar_subquery()
    )
    statement = select(Organisation, members).order_by(Organisation.id).limit(limit).offset(offset)
    if query:
        statement = statement.where(
            func.lower(Organisation.name).like(f"%{query.strip().lower()}%")
        )
    return [(org, count) for org, count in session.execute(statement).all()]


def set_user_suspended(
    session: Session, admin_id: int, user_id: int, suspended: bool, now: int
) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such account")
    if suspended and user.id == admin_id:
        raise Conflict("you cannot suspend your own account")
    if suspended:
        if user.suspended_at is None:
            user.suspended_at = now
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        tokens.revoke_all(session, user.id, now)
    else:
        user.suspended_at = None
    session.commit()
    return user


def set_organisation_suspended(
    session: Session, org_id: int, suspended: bool, now: int
) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("no such organisation")
    if suspended:
        if org.suspended_at is None:
            org.suspended_at = now
    else:
        org.suspended_at = None
    session.commit()
    return org
