"""``/admin/orgs``: organisations waiting for approval first, approve, suspend, restore."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from cloud.admin import service
from cloud.clock import now_s
from cloud.deps import Db
from cloud.errors import NotFound
from cloud.web.admin.access import BASE, PAGE_SIZE, back_to, here, page_number, pager, require_admin
from cloud.web.deps import CurrentUser
from cloud.web.forms import FormData, text
from cloud.web.templating import page

Search = Annotated[str | None, QueryParameter(max_length=200)]

STATES = [state.value for state in service.OrgState]


class AdminOrganisationPages(Controller):
    path = f"{BASE}/orgs"

    @get("/", sync_to_thread=True)
    def organisations(
        self,
        *,
        request: Request[Any, Any, Any],
        db: Db,
        current_user: CurrentUser,
        q: Search = None,
        wanted: Annotated[str | None, QueryParameter(name="state", max_length=20)] = None,
        page_no: Annotated[str | None, QueryParameter(name="page", max_length=10)] = None,
    ) -> Template:
        admin = require_admin(current_user, request)
        number = page_number(page_no)
        chosen = service.OrgState(wanted) if wanted in STATES else None
        rows = service.list_organisations(
            db, query=q, state=chosen, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE
        )
        pending = service.list_organisations(
            db, query=None, state=service.OrgState.PENDING, limit=1, offset=0
        )
        db.commit()
        return page(
            "admin/orgs.html",
            section="orgs",
            admin=admin,
            orgs=[
                (org, members, service.org_state(org).value) for org, members in rows[:PAGE_SIZE]
            ],
            any_pending=bool(pending),
            pager=pager(request, number, len(rows) > PAGE_SIZE),
            q=q or "",
            state=chosen.value if chosen else "",
            states=STATES,
            back=here(request),
            done=request.query_params.get("done"),
        )

    @post("/{org_id:int}/{action:str}", sync_to_thread=True)
    def change(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        action: FromPath[str],
        db: Db,
        current_user: CurrentUser,
        data: FormData,
    ) -> Redirect:
        require_admin(current_user, request)
        now = now_s()
        if action == "approve":
            service.approve_organisation(db, org_id, now)
            done = "approved"
        elif action in {"suspend", "unsuspend"}:
            service.set_organisation_suspended(db, org_id, action == "suspend", now)
            done = "suspended" if action == "suspend" else "restored"
        else:
            raise NotFound("There is no page at this address.")
        return back_to(text(data, "back"), f"{BASE}/orgs", done)
