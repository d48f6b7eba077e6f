"""What platform admins do to accounts and organisations: find them, suspend and restore
them, approve new organisations. Suspending an account also ends its web sessions and
refresh tokens, so it is out at once, not when a token expires. Every change is audited in
its own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from cloud.audit.actions import Action
from cloud.audit.log import record
from cloud.errors import Conflict, NotFound
from cloud.orgs.models import Membership, Organisation
from cloud.users import tokens
from cloud.users.models import User, WebSession


class OrgState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    SUSPENDED = "suspended"


def org_state(org: Organisation) -> OrgState:
    if org.suspended_at is not None:
        return OrgState.SUSPENDED
    return OrgState.PENDING if org.approved_at is None else OrgState.APPROVED


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_users(
    session: Session,
    *,
    query: str | None,
    limit: int,
    offset: int,
    suspended: bool | None = None,
) -> list[User]:
    statement = select(User).order_by(User.id).limit(limit).offset(offset)
    if query and query.strip():
        pattern = f"%{_escape_like(query.strip().lower())}%"
        statement = statement.where(
            or_(
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.name).like(pattern, escape="\\"),
            )
        )
    if suspended is not None:
        statement = statement.where(
            User.suspended_at.is_not(None) if suspended else User.suspended_at.is_(None)
        )
    return list(session.scalars(statement))


def list_organisations(
    session: Session,
    *,
    query: str | None,
    limit: int,
    offset: int,
    state: OrgState | None = None,
) -> list[tuple[Organisation, int]]:
    """Organisations with their member counts; ``state`` keeps only pending, approved or
    suspended ones."""
    members = (
        select(func.count())
        .select_from(Membership)
        .where(Membership.org_id == Organisation.id)
        .scalar_subquery()
    )
    statement = select(Organisation, members).order_by(Organisation.id).limit(limit).offset(offset)
    if query and query.strip():
        pattern = f"%{_escape_like(query.strip().lower())}%"
        statement = statement.where(func.lower(Organisation.name).like(pattern, escape="\\"))
    if state == OrgState.SUSPENDED:
        statement = statement.where(Organisation.suspended_at.is_not(None))
    elif state == OrgState.PENDING:
        statement = statement.where(
            Organisation.suspended_at.is_(None), Organisation.approved_at.is_(None)
        )
    elif state == OrgState.APPROVED:
        statement = statement.where(
            Organisation.suspended_at.is_(None), Organisation.approved_at.is_not(None)
        )
    return [(org, count) for org, count in session.execute(statement).all()]


def member_count(session: Session, org_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Membership).where(Membership.org_id == org_id)
        )
        or 0
    )


def set_user_suspended(
    session: Session, admin_id: int, user_id: int, suspended: bool, now: int
) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such account")
    if suspended and user.id == admin_id:
        raise Conflict("you cannot suspend your own account")
    changed = (user.suspended_at is None) == suspended
    if suspended:
        if user.suspended_at is None:
            user.suspended_at = now
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        tokens.revoke_all(session, user.id, now)
    else:
        user.suspended_at = None
    if changed:
        record(
            session,
            Action.USER_SUSPENDED if suspended else Action.USER_UNSUSPENDED,
            f"{user.email} {'suspended; every login ended' if suspended else 'restored'}",
            target=("user", user.id),
            now=now,
        )
    session.commit()
    return user


def set_organisation_suspended(
    session: Session, org_id: int, suspended: bool, now: int
) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("no such organisation")
    changed = (org.suspended_at is None) == suspended
    if suspended:
        if org.suspended_at is None:
            org.suspended_at = now
    else:
        org.suspended_at = None
    if changed:
        record(
            session,
            Action.ORG_SUSPENDED if suspended else Action.ORG_UNSUSPENDED,
            f"organisation {org.name!r} {'suspended' if suspended else 'restored'}",
            target=("org", org.id),
            org_id=org.id,
            now=now,
        )
    session.commit()
    return org


@dataclass(frozen=True, slots=True)
class Approval:
    org: Organisation
    # False when it was approved already (approving again changes nothing).
    changed: bool


def approve_organisation(session: Session, org_id: int, now: int) -> Approval:
    """Let the organisation publish events. Approving twice keeps the first moment."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("no such organisation")
    if org.approved_at is not None:
        session.commit()
        return Approval(org, changed=False)
    org.approved_at = now
    record(
        session,
        Action.ORG_APPROVED,
        f"organisation {org.name!r} approved; it may publish events",
        target=("org", org.id),
        org_id=org.id,
        now=now,
    )
    session.commit()
    return Approval(org, changed=True)
