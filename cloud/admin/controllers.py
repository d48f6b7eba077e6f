from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, QueryParameter

from cloud.admin import service
from cloud.admin.schemas import AdminOrganisationOut, AdminUserOut
from cloud.clock import now_s
from cloud.db import MAX_ROW_ID
from cloud.deps import ADMIN_DEPENDENCIES, AdminUser, Db
from cloud.orgs.models import Organisation
from cloud.orgs.service import members as org_members
from cloud.users.models import User

Limit = Annotated[int, QueryParameter(ge=1, le=500)]
# Past the last row the page is empty; the bound keeps the number inside a database integer.
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_ROW_ID)]
Query = Annotated[str | None, QueryParameter(max_length=200)]


def _user(user: User) -> AdminUserOut:
    return AdminUserOut(
        user_id=user.id,
        email=user.email,
        name=user.name,
        created_at=user.created_at,
        email_verified=user.email_verified_at is not None,
        is_admin=user.is_admin,
        suspended=user.suspended_at is not None,
    )


def _org(org: Organisation, members: int) -> AdminOrganisationOut:
    return AdminOrganisationOut(
        org_id=org.id,
        name=org.name,
        created_at=org.created_at,
        members=members,
        suspended=org.suspended_at is not None,
    )


class AdminController(Controller):
    """Platform admins only; everyone else gets 403."""

    path = "/api/v1/admin"
    tags = ["admin"]
    dependencies = ADMIN_DEPENDENCIES

    @get("/users", sync_to_thread=True)
    def users(
        self, db: Db, admin: AdminUser, q: Query = None, limit: Limit = 100, offset: Offset = 0
    ) -> list[AdminUserOut]:
        return [_user(u) for u in service.list_users(db, query=q, limit=limit, offset=offset)]

    @get("/orgs", sync_to_thread=True)
    def organisations(
        self, db: Db, admin: AdminUser, q: Query = None, limit: Limit = 100, offset: Offset = 0
    ) -> list[AdminOrganisationOut]:
        rows = service.list_organisations(db, query=q, limit=limit, offset=offset)
        return [_org(org, members) for org, members in rows]

    @post("/users/{user_id:int}/suspend", status_code=200, sync_to_thread=True)
    def suspend_user(self, user_id: FromPath[int], db: Db, admin: AdminUser) -> AdminUserOut:
        return _user(service.set_user_suspended(db, admin.id, user_id, True, now_s()))

    @post("/users/{user_id:int}/unsuspend", status_code=200, sync_to_thread=True)
    def unsuspend_user(self, user_id: FromPath[int], db: Db, admin: AdminUser) -> AdminUserOut:
        return _user(service.set_user_suspended(db, admin.id, user_id, False, now_s()))

    @post("/orgs/{org_id:int}/suspend", status_code=200, sync_to_thread=True)
    def suspend_org(self, org_id: FromPath[int], db: Db, admin: AdminUser) -> AdminOrganisationOut:
        org = service.set_organisation_suspended(db, org_id, True, now_s())
        return _org(org, _members(db, org.id))

    @post("/orgs/{org_id:int}/unsuspend", status_code=200, sync_to_thread=True)
    def unsuspend_org(
        self, org_id: FromPath[int], db: Db, admin: AdminUser
    ) -> AdminOrganisationOut:
        org = service.set_organisation_suspended(db, org_id, False, now_s())
        return _org(org, _members(db, org.id))


def _members(db: Db, org_id: int) -> int:
    return len(org_members(db, org_id))
