"""Organisations and their members. An organisation always keeps at least one owner.

A new organisation is approved at once, unless the platform asks its admins to approve new
organisations first (``approved=False``): it may then set everything up, but publishes no
event until an admin approves it (cloud.admin). Every change of the team is audited."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.audit.actions import Action
from cloud.audit.actor import Actor
from cloud.audit.log import record
from cloud.errors import Conflict, NotFound
from cloud.orgs.models import Membership, Organisation, Role
from cloud.users.models import User


def add_organisation(
    session: Session, owner_id: int, name: str, now: int, *, approved: bool = True
) -> Organisation:
    """A new organisation owned by ``owner_id``, in ``session``'s transaction (uncommitted)."""
    org = Organisation(name=name.strip(), created_at=now, approved_at=now if approved else None)
    session.add(org)
    session.flush()
    session.add(Membership(org_id=org.id, user_id=owner_id, role=Role.OWNER, created_at=now))
    owner = session.get(User, owner_id)
    state = "approved" if approved else "waiting for approval"
    record(
        session,
        Action.ORG_CREATED,
        f"organisation {org.name!r} created ({state})",
        target=("org", org.id),
        org_id=org.id,
        actor=Actor.account(owner.id, owner.email) if owner is not None else None,
    )
    return org


def create_organisation(
    session: Session, owner_id: int, name: str, now: int, *, approved: bool = True
) -> Organisation:
    org = add_organisation(session, owner_id, name, now, approved=approved)
    session.commit()
    return org


def organisations_of(session: Session, user_id: int) -> list[tuple[Organisation, Role]]:
    rows = session.execute(
        select(Organisation, Membership.role)
        .join(Membership, Membership.org_id == Organisation.id)
        .where(Membership.user_id == user_id)
        .order_by(Organisation.id)
    ).all()
    return [(org, Role(role)) for org, role in rows]


def members(session: Session, org_id: int) -> list[tuple[User, Role]]:
    rows = session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.org_id == org_id)
        .order_by(User.id)
    ).all()
    return [(user, Role(role)) for user, role in rows]


def add_member(session: Session, org_id: int, email: str, role: Role, now: int) -> User:
    """Add the existing account with ``email``; people sign up themselves first."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound("no account with this email address; ask them to sign up first")
    session.add(Membership(org_id=org_id, user_id=user.id, role=role, created_at=now))
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("this person is already a member") from exc
    record(
        session,
        Action.MEMBER_ADDED,
        f"{user.email} added to {_org_name(session, org_id)!r} as {role}",
        target=("user", user.id),
        org_id=org_id,
        detail={"role": str(role)},
    )
    session.commit()
    return user


def change_role(session: Session, org_id: int, user_id: int, role: Role) -> None:
    membership = _membership_locked(session, org_id, user_id)
    if membership.role == Role.OWNER and role != Role.OWNER:
        _keep_an_owner(session, org_id)
    before = Role(membership.role)
    membership.role = role
    if before != role:
        record(
            session,
            Action.MEMBER_ROLE_CHANGED,
            f"{_email(session, user_id)} in {_org_name(session, org_id)!r}: {before} to {role}",
            target=("user", user_id),
            org_id=org_id,
            detail={"from": str(before), "to": str(role)},
        )
    session.commit()


def remove_member(session: Session, org_id: int, user_id: int) -> None:
    membership = _membership_locked(session, org_id, user_id)
    if membership.role == Role.OWNER:
        _keep_an_owner(session, org_id)
    session.delete(membership)
    record(
        session,
        Action.MEMBER_REMOVED,
        f"{_email(session, user_id)} removed from {_org_name(session, org_id)!r} "
        f"(was {membership.role})",
        target=("user", user_id),
        org_id=org_id,
        detail={"role": membership.role},
    )
    session.commit()


def _org_name(session: Session, org_id: int) -> str:
    org = session.get(Organisation, org_id)
    return "" if org is None else org.name


def _email(session: Session, user_id: int) -> str:
    user = session.get(User, user_id)
    return f"user {user_id}" if user is None else user.email


def _membership_locked(session: Session, org_id: int, user_id: int) -> Membership:
    # Changes to one organisation's members queue on its row, so two owners demoting each
    # other at once cannot leave it without one.
    session.execute(select(Organisation.id).where(Organisation.id == org_id).with_for_update())
    membership = session.get(Membership, (org_id, user_id))
    if membership is None:
        session.rollback()
        raise NotFound("no such member")
    return membership


def _keep_an_owner(session: Session, org_id: int) -> None:
    owners = session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.org_id == org_id, Membership.role == Role.OWNER)
    )
    if (owners or 0) <= 1:
        session.rollback()
        raise Conflict("an organisation needs at least one owner; make someone else owner first")
