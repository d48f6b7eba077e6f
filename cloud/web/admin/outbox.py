"""``/admin/outbox``: how many messages wait, went out or died per channel, the dead ones
with their last error, and retrying one after its cause is fixed."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from cloud.clock import now_s
from cloud.deps import Db
from cloud.notifications.models import CHANNELS, OutboxStatus
from cloud.notifications.outbox import retry_dead, status_counts, waiting
from cloud.web.admin.access import BASE, PAGE_SIZE, back_to, here, page_number, pager, require_admin
from cloud.web.deps import CurrentUser
from cloud.web.forms import FormData, text
from cloud.web.templating import page

STATUSES = (OutboxStatus.QUEUED, OutboxStatus.SENT, OutboxStatus.DEAD)


class AdminOutboxPages(Controller):
    path = f"{BASE}/outbox"

    @get("/", sync_to_thread=True)
    def outbox(
        self,
        *,
        request: Request[Any, Any, Any],
        db: Db,
        current_user: CurrentUser,
        view: Annotated[str | None, QueryParameter(max_length=10)] = None,
        page_no: Annotated[str | None, QueryParameter(name="page", max_length=10)] = None,
    ) -> Template:
        admin = require_admin(current_user, request)
        dead = view != "queued"
        number = page_number(page_no)
        rows = waiting(db, dead=dead, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE)
        counts = status_counts(db)
        db.commit()
        return page(
            "admin/outbox.html",
            section="outbox",
            admin=admin,
            dead=dead,
            rows=rows[:PAGE_SIZE],
            pager=pager(request, number, len(rows) > PAGE_SIZE),
            counts=counts,
            channels=CHANNELS,
            statuses=STATUSES,
            back=here(request),
            done=request.query_params.get("done"),
            now=now_s(),
        )

    @post("/{message_id:str}/retry", sync_to_thread=True)
    def retry(
        self,
        *,
        request: Request[Any, Any, Any],
        message_id: FromPath[str],
        db: Db,
        current_user: CurrentUser,
        data: FormData,
    ) -> Redirect:
        require_admin(current_user, request)
        retry_dead(db, message_id[:36], now_s())
        return back_to(text(data, "back"), f"{BASE}/outbox", "retried")
