"""``/admin/users``: find accounts by name or email, suspend and restore them."""

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
Filter = Annotated[str | None, QueryParameter(max_length=20)]
_STATUSES = {"active": False, "suspended": True}


class AdminUsersPages(Controller):
    path = f"{BASE}/users"

    @get("/", sync_to_thread=True)
    def users(
        self,
        *,
        request: Request[Any, Any, Any],
        db: Db,
        current_user: CurrentUser,
        q: Search = None,
        status: Filter = None,
        page_no: Annotated[str | None, QueryParameter(name="page", max_length=10)] = None,
    ) -> Template:
        admin = require_admin(current_user, request)
        number = page_number(page_no)
        rows = service.list_users(
            db,
            query=q,
            suspended=_STATUSES.get(status or ""),
            limit=PAGE_SIZE + 1,
            offset=(number - 1) * PAGE_SIZE,
        )
        db.commit()
        return page(
            "admin/users.html",
            section="users",
            admin=admin,
            users=rows[:PAGE_SIZE],
            pager=pager(request, number, len(rows) > PAGE_SIZE),
            q=q or "",
            status=status if status in _STATUSES else "",
            back=here(request),
            done=request.query_params.get("done"),
        )

    @post("/{user_id:int}/{action:str}", sync_to_thread=True)
    def change(
        self,
        *,
        request: Request[Any, Any, Any],
        user_id: FromPath[int],
        action: FromPath[str],
        db: Db,
        current_user: CurrentUser,
        data: FormData,
    ) -> Redirect:
        admin = require_admin(current_user, request)
        if action not in {"suspend", "unsuspend"}:
            raise NotFound("There is no page at this address.")
        service.set_user_suspended(db, admin.id, user_id, action == "suspend", now_s())
        done = "suspended" if action == "suspend" else "restored"
        return back_to(text(data, "back"), f"{BASE}/users", done)
