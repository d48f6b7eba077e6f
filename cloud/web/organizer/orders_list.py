"""An event's orders, searched by reference, buyer name or email and filtered by status,
a page at a time, with cancel and refund for managers (cloud.web.organizer.sale)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from cloud.analytics.orders import STATUSES, order_page
from cloud.deps import Db
from cloud.events.service import own_event
from cloud.web.deps import CurrentUser
from cloud.web.organizer.access import BASE, org_page
from cloud.web.organizer.listing import PER_PAGE, Pager, choice, page_number, text
from cloud.web.templating import page


class OrdersPage(Controller):
    path = f"{BASE}/orgs/{{org_id:int}}/events/{{event_id:int}}/orders"

    @get("/", sync_to_thread=True)
    def orders(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        org = org_page(db, current_user, request, org_id)
        params = request.query_params
        query = text(params, "q")
        status = choice(params, "status", ("", *STATUSES))
        number = page_number(params)
        event = own_event(db, org.org_id, event_id)
        found = order_page(
            db,
            event_id,
            query=query,
            status=status or None,
            offset=(number - 1) * PER_PAGE,
            limit=PER_PAGE,
        )
        db.commit()
        pager = Pager(number, PER_PAGE, found.total, (("q", query), ("status", status)))
        return page(
            "organizer/orders.html",
            org=org,
            event=event,
            found=found,
            pager=pager,
            query=query,
            status=status,
            statuses=STATUSES,
        )
