"""Who acts for which organisation, and with what role: the check behind every organizer
endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.db import MAX_ROW_ID
from cloud.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from cloud.orgs.models import Membership, Organisation, Role
from cloud.users.models import User

ORG_HEADER = "Bilten-Organisation"


@dataclass(frozen=True, slots=True)
class Member:
    """The caller acting in an organisation."""

    org_id: int
    user_id: int
    role: Role


def active_user(session: Session, user_id: int) -> User:
    """The account a valid token names, refused when it is gone or suspended."""
    user = session.get(User, user_id)
    if user is None:
        raise Unauthorized("invalid access token")
    if user.suspended_at is not None:
        raise Unauthorized("this account is suspended")
    return user


def parse_org_header(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        org_id = int(value.strip())
    except ValueError:
        raise InvalidInput(f"{ORG_HEADER} must be an organisation id (a number)") from None
    if not 1 <= org_id <= MAX_ROW_ID:
        raise InvalidInput(f"{ORG_HEADER} must be an organisation id (a number)")
    return org_id


def acting_member(session: Session, user: User, org_id: int | None, needed: Role) -> Member:
    """``user`` acting in ``org_id`` (or their only organisation) with at least ``needed``.

    Platform admins act in any organisation as owner, suspended ones too; one they are not a
    member of they must name with the header."""
    if org_id is None:
        org_ids = list(
            session.scalars(select(Membership.org_id).where(Membership.user_id == user.id))
        )
        if not org_ids:
            raise Forbidden("this account is not a member of any organisation")
        if len(org_ids) > 1:
            raise InvalidInput(
                f"this account belongs to {len(org_ids)} organisations; say which one with "
                f"the {ORG_HEADER} header"
            )
        org_id = org_ids[0]
    org = session.get(Organisation, org_id)
    if user.is_admin:
        if org is None:
            raise NotFound("no such organisation")
        role = Role.OWNER
    else:
        membership = session.get(Membership, (org_id, user.id))
        if org is None or membership is None:
            # The same answer whether or not the organisation exists.
            raise Forbidden("you are not a member of this organisation")
        role = Role(membership.role)
    # Suspension stops the organisation's own people, not the platform staff looking into it.
    if org.suspended_at is not None and not user.is_admin:
        raise Forbidden("this organisation is suspended")
    if not role.allows(needed):
        raise Forbidden(f"this needs the {needed} role; you are {role}")
    return Member(org_id=org_id, user_id=user.id, role=role)
