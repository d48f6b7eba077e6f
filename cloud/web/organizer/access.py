"""Who may open which organizer page: the check every page and form runs first.

An organisation the visitor is not a member of answers 404, exactly like one that does not
exist, so its pages give away nothing; a member whose role is too low for a form gets 403.
Platform admins open any organisation as its owner (cloud.orgs.access)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from sqlalchemy.orm import Session

from cloud.errors import NotFound
from cloud.orgs.access import Member, acting_member
from cloud.orgs.models import Membership, Organisation, Role
from cloud.orgs.service import organisations_of
from cloud.users.models import User
from cloud.web.deps import require_user

BASE = "/organizer"


@dataclass(frozen=True, slots=True)
class OrgPage:
    """The organisation a page shows, the visitor's role in it, and the other organisations
    they may switch to."""

    org: Organisation
    member: Member
    orgs: list[tuple[Organisation, Role]]

    @property
    def org_id(self) -> int:
        return self.org.id

    @property
    def role(self) -> Role:
        return self.member.role

    @property
    def can_change(self) -> bool:
        """Managers and owners create and change venues, events, tickets and orders."""
        return self.role.allows(Role.MANAGER)

    @property
    def can_manage_team(self) -> bool:
        return self.role.allows(Role.OWNER)

    @property
    def base(self) -> str:
        """Where this organisation's pages live."""
        return f"{BASE}/orgs/{self.org.id}"


def org_page(
    db: Session,
    current_user: User | None,
    request: Request[Any, Any, Any],
    org_id: int,
    needed: Role = Role.VIEWER,
) -> OrgPage:
    """The page context for ``org_id``, after the visitor's account and role are checked.
    Ends the read transaction (committing keeps the loaded rows usable), so a form handler
    starts its own."""
    user = require_user(current_user, request)
    try:
        org = db.get(Organisation, org_id)
        if org is None or (not user.is_admin and db.get(Membership, (org_id, user.id)) is None):
            raise NotFound("no such organisation")
        # The role and suspension rules are the API's, applied the same way here.
        member = acting_member(db, user, org_id, needed)
        return OrgPage(org=org, member=member, orgs=organisations_of(db, user.id))
    finally:
        db.commit()
