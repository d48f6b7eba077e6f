"""The team page: every member sees who is in the organisation and with what role; owners
add people by the email of their account, change roles and remove members (after a page that
asks). The service keeps at least one owner."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from cloud.clock import now_s
from cloud.deps import Db
from cloud.errors import Conflict, NotFound
from cloud.orgs.models import Role
from cloud.orgs.service import add_member, change_role, members, remove_member
from cloud.web.deps import CurrentUser
from cloud.web.organizer.access import BASE, OrgPage, org_page
from cloud.web.organizer.forms import Form
from cloud.web.organizer.home import FormData
from cloud.web.templating import page

ROLES = [role.value for role in Role]


def _team_page(
    db: Session,
    org: OrgPage,
    *,
    form: Form | None = None,
    problem: str | None = None,
    status_code: int = 200,
    done: str | None = None,
) -> Template:
    people = members(db, org.org_id)
    db.commit()
    return page(
        "organizer/team.html",
        status_code=status_code,
        org=org,
        people=people,
        roles=ROLES,
        form=form if form is not None else Form({"role": Role.VIEWER.value}),
        problem=problem,
        done=done,
    )


def _role(form: Form) -> Role:
    value = form.values.get("role", "")
    if value not in ROLES:
        form.fail("role", "Choose a role: owner, manager or viewer")
        return Role.VIEWER
    return Role(value)


class TeamPages(Controller):
    path = f"{BASE}/orgs/{{org_id:int}}/team"

    @get("/", sync_to_thread=True)
    def team(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        org = org_page(db, current_user, request, org_id)
        return _team_page(db, org, done=request.query_params.get("done"))

    @post("/members", sync_to_thread=True, opt={"min_role": "owner"})
    def add(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        data: FormData,
    ) -> Template | Redirect:
        org = org_page(db, current_user, request, org_id, Role.OWNER)
        form = Form(data)
        email = form.email("email")
        role = _role(form)
        if form.valid:
            try:
                add_member(db, org_id, email, role, now_s())
            except (NotFound, Conflict) as exc:
                form.fail("email", exc.detail)
            else:
                return Redirect(f"{org.base}/team?done=added", status_code=303)
        return _team_page(db, org, form=form, status_code=400)

    @post("/members/{user_id:int}/role", sync_to_thread=True, opt={"min_role": "owner"})
    def change(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        user_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        data: FormData,
    ) -> Template | Redirect:
        org = org_page(db, current_user, request, org_id, Role.OWNER)
        form = Form(data)
        role = _role(form)
        if not form.valid:
            return _team_page(db, org, problem=form.errors["role"], status_code=400)
        try:
            change_role(db, org_id, user_id, role)
        except Conflict as exc:
            return _team_page(db, org, problem=exc.detail, status_code=409)
        return Redirect(f"{org.base}/team?done=role", status_code=303)

    @get("/members/{user_id:int}/remove", sync_to_thread=True, opt={"min_role": "owner"})
    def confirm_removal(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        user_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        """Who would be removed, and what they lose, before anything happens."""
        org = org_page(db, current_user, request, org_id, Role.OWNER)
        found = [(user, role) for user, role in members(db, org_id) if user.id == user_id]
        db.commit()
        if not found:
            raise NotFound(f"no member {user_id} in this organisation")
        person, role = found[0]
        return page(
            "organizer/member_remove.html",
            org=org,
            person=person,
            role=role,
            yourself=current_user is not None and current_user.id == user_id,
        )

    @post("/members/{user_id:int}/remove", sync_to_thread=True, opt={"min_role": "owner"})
    def remove(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        user_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template | Redirect:
        org = org_page(db, current_user, request, org_id, Role.OWNER)
        try:
            remove_member(db, org_id, user_id)
        except Conflict as exc:
            return _team_page(db, org, problem=exc.detail, status_code=409)
        # Owners who remove themselves no longer see this organisation.
        if current_user is not None and user_id == current_user.id:
            return Redirect(f"{BASE}?all=1", status_code=303)
        return Redirect(f"{org.base}/team?done=removed", status_code=303)
