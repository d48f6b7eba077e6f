"""Organisations of the calling account, and their members. The organisation is the one in the
path; reading the members needs any role in it, changing them needs owner (anyone may leave)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from cloud.clock import now_s
from cloud.deps import USER_DEPENDENCIES, CurrentUser, Db, Settings
from cloud.orgs import service
from cloud.orgs.access import Member, acting_member
from cloud.orgs.models import Role
from cloud.orgs.schemas import MemberIn, MemberOut, OrganisationIn, OrganisationOut, RoleIn

TeamMember = NamedDependency[Member]


def provide_team_member(
    request: Request[Any, Any, Any], org_id: FromPath[int], db: Db, api_user: CurrentUser
) -> Member:
    """The caller in the organisation of the path, with the role the route needs: checked
    before the body is read, so an outsider learns nothing from a validation error. Reading
    needs any role, changing the team owner; leaving needs none."""
    needed = Role(request.route_handler.opt.get("min_role", Role.VIEWER))
    if request.method == "DELETE" and request.path_params.get("user_id") == api_user.id:
        needed = Role.VIEWER
    try:
        return acting_member(db, api_user, org_id, needed)
    finally:
        db.commit()


_TEAM = {"team_member": Provide(provide_team_member, sync_to_thread=True)}


class OrganisationController(Controller):
    path = "/api/v1/orgs"
    tags = ["organisations"]
    dependencies = USER_DEPENDENCIES

    @post("/", sync_to_thread=True)
    def create(
        self, data: JSONBody[OrganisationIn], db: Db, api_user: CurrentUser, settings: Settings
    ) -> OrganisationOut:
        org = service.create_organisation(
            db, api_user.id, data.name, now_s(), approved=not settings.approve_organisations
        )
        return OrganisationOut(org_id=org.id, name=org.name, role=Role.OWNER)

    @get("/", sync_to_thread=True)
    def mine(self, db: Db, api_user: CurrentUser) -> list[OrganisationOut]:
        return [
            OrganisationOut(org_id=org.id, name=org.name, role=role)
            for org, role in service.organisations_of(db, api_user.id)
        ]

    @get("/{org_id:int}/members", sync_to_thread=True, dependencies=_TEAM)
    def members(self, org_id: FromPath[int], db: Db, team_member: TeamMember) -> list[MemberOut]:
        del team_member  # checked: any role reads the team
        return [
            MemberOut(user_id=user.id, email=user.email, name=user.name, role=role)
            for user, role in service.members(db, org_id)
        ]

    @post(
        "/{org_id:int}/members",
        sync_to_thread=True,
        dependencies=_TEAM,
        opt={"min_role": Role.OWNER},
    )
    def add_member(
        self, org_id: FromPath[int], data: JSONBody[MemberIn], db: Db, team_member: TeamMember
    ) -> MemberOut:
        del team_member  # checked: owners only
        user = service.add_member(db, org_id, data.email, data.role, now_s())
        return MemberOut(user_id=user.id, email=user.email, name=user.name, role=data.role)

    @patch(
        "/{org_id:int}/members/{user_id:int}",
        sync_to_thread=True,
        dependencies=_TEAM,
        opt={"min_role": Role.OWNER},
    )
    def change_role(
        self,
        org_id: FromPath[int],
        user_id: FromPath[int],
        data: JSONBody[RoleIn],
        db: Db,
        team_member: TeamMember,
    ) -> MemberOut:
        del team_member  # checked: owners only
        service.change_role(db, org_id, user_id, data.role)
        for user, role in service.members(db, org_id):
            if user.id == user_id:
                return MemberOut(user_id=user.id, email=user.email, name=user.name, role=role)
        raise AssertionError("the member just changed is gone")  # pragma: no cover

    @delete(
        "/{org_id:int}/members/{user_id:int}",
        sync_to_thread=True,
        dependencies=_TEAM,
        opt={"min_role": Role.OWNER},
    )
    def remove_member(
        self, org_id: FromPath[int], user_id: FromPath[int], db: Db, team_member: TeamMember
    ) -> None:
        del team_member  # checked: owners, or the member leaving
        service.remove_member(db, org_id, user_id)
