"""``/admin/events``: every organisation's events; an event's page takes it off sale with a
reason its organizer is told, or restores it."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from cloud.admin import moderation
from cloud.clock import now_s
from cloud.deps import Db, Settings
from cloud.errors import InvalidInput
from cloud.web.admin.access import BASE, PAGE_SIZE, here, page_number, pager, require_admin
from cloud.web.deps import CurrentUser
from cloud.web.forms import FormData, text
from cloud.web.templating import page

Search = Annotated[str | None, QueryParameter(max_length=200)]
STATES = [state.value for state in moderation.EventState]


class AdminEventPages(Controller):
    path = f"{BASE}/events"

    @get("/", sync_to_thread=True)
    def events(
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
        chosen = moderation.EventState(wanted) if wanted in STATES else None
        rows = moderation.list_events(
            db, query=q, state=chosen, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE
        )
        db.commit()
        return page(
            "admin/events.html",
            section="events",
            admin=admin,
            events=rows[:PAGE_SIZE],
            pager=pager(request, number, len(rows) > PAGE_SIZE),
            q=q or "",
            state=chosen.value if chosen else "",
            states=STATES,
            back=here(request),
        )

    @get("/{event_id:int}", sync_to_thread=True)
    def event(
        self,
        *,
        request: Request[Any, Any, Any],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        admin = require_admin(current_user, request)
        return _event_page(db, admin, event_id, done=request.query_params.get("done"))

    @post("/{event_id:int}/hide", sync_to_thread=True)
    def hide(
        self,
        *,
        request: Request[Any, Any, Any],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
        data: FormData,
    ) -> Template | Redirect:
        admin = require_admin(current_user, request)
        reason = text(data, "reason")
        try:
            moderation.hide_event(db, event_id, reason, now_s(), settings.public_url)
        except InvalidInput as exc:
            db.rollback()
            return _event_page(db, admin, event_id, problem=exc.detail, reason=reason)
        return Redirect(f"{BASE}/events/{event_id}?done=hidden", status_code=303)

    @post("/{event_id:int}/restore", sync_to_thread=True)
    def restore(
        self,
        *,
        request: Request[Any, Any, Any],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
    ) -> Redirect:
        require_admin(current_user, request)
        moderation.restore_event(db, event_id, now_s(), settings.public_url)
        return Redirect(f"{BASE}/events/{event_id}?done=restored", status_code=303)


def _event_page(
    db: Db,
    admin: Any,
    event_id: int,
    *,
    done: str | None = None,
    problem: str | None = None,
    reason: str = "",
) -> Template:
    row = moderation.one_event(db, event_id)
    db.commit()
    return page(
        "admin/event.html",
        status_code=400 if problem else 200,
        section="events",
        admin=admin,
        row=row,
        done=done,
        problem=problem,
        reason=reason,
        max_reason=moderation.MAX_REASON,
    )
