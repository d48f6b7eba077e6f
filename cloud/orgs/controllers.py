"""Organisations of the calling account, and their members. The organisation is the one in the
path; reading the members needs any role in it, changing them needs owner (anyone may leave)."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from cloud.clock import now_s
from cloud.deps import USER_DEPENDENCIES, CurrentUser, Db, Settings
from cloud.orgs import service
from cloud.orgs.access import acting_member
from cloud.orgs.models import Role
from cloud.orgs.schemas import MemberIn, MemberOut, OrganisationIn, OrganisationOut, RoleIn


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

    @get("/{org_id:int}/members", sync_to_thread=True)
    def members(self, org_id: FromPath[int], db: Db, api_user: CurrentUser) -> list[MemberOut]:
        acting_member(db, api_user, org_id, Role.VIEWER)
        return [
            MemberOut(user_id=user.id, email=user.email, name=user.name, role=role)
            for user, role in service.members(db, org_id)
        ]

    @post("/{org_id:int}/members", sync_to_thread=True)
    def add_member(
        self, org_id: FromPath[int], data: JSONBody[MemberIn], db: Db, api_user: CurrentUser
    ) -> MemberOut:
        acting_member(db, api_user, org_id, Role.OWNER)
        user = service.add_member(db, org_id, data.email, data.role, now_s())
        return MemberOut(user_id=user.id, email=user.email, name=user.name, role=data.role)

    @patch("/{org_id:int}/members/{user_id:int}", sync_to_thread=True)
    def change_role(
        self,
        org_id: FromPath[int],
        user_id: FromPath[int],
        data: JSONBody[RoleIn],
        db: Db,
        api_user: CurrentUser,
    ) -> MemberOut:
        acting_member(db, api_user, org_id, Role.OWNER)
        service.change_role(db, org_id, user_id, data.role)
        for user, role in service.members(db, org_id):
            if user.id == user_id:
                return MemberOut(user_id=user.id, email=user.email, name=user.name, role=role)
        raise AssertionError("the member just changed is gone")  # pragma: no cover

    @delete("/{org_id:int}/members/{user_id:int}", sync_to_thread=True)
    def remove_member(
        self, org_id: FromPath[int], user_id: FromPath[int], db: Db, api_user: CurrentUser
    ) -> None:
        # Leaving needs no role; removing someone else needs owner.
        needed = Role.VIEWER if user_id == api_user.id else Role.OWNER
        acting_member(db, api_user, org_id, needed)
        service.remove_member(db, org_id, user_id)
