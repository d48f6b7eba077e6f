"""Cancelling and refunding an order from the event page, each behind a confirmation page.

Only managers and owners reach either step; a viewer's request is refused with 403."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy import select

from cloud.clock import now_s
from cloud.deps import Db, Settings
from cloud.errors import Conflict, NotFound
from cloud.events.service import own_event
from cloud.orders.models import Order, OrderStatus
from cloud.orders.payments import FREE, provider_lookup
from cloud.orders.service import cancel_order
from cloud.orgs.models import Role
from cloud.web.deps import CurrentUser
from cloud.web.organizer.access import BASE, org_page
from cloud.web.organizer.event_page import event_url
from cloud.web.templating import page

# What each action may be applied to: a refund needs money that was taken.
_ACTIONS = {"cancel": {OrderStatus.PENDING, OrderStatus.PAID}, "refund": {OrderStatus.PAID}}


def _possible(order: Order, action: str) -> bool:
    """Whether ``action`` would change ``order``: a refund needs money that was taken."""
    if action == "refund":
        return order.status == OrderStatus.PAID and order.payment_provider != FREE
    return order.status in _ACTIONS[action]


class OrderActions(Controller):
    path = (
        f"{BASE}/orgs/{{org_id:int}}/events/{{event_id:int}}/orders/{{reference:str}}/"
        "{action:str}"
    )

    @staticmethod
    def _order(db: Db, org_id: int, event_id: int, reference: str, action: str) -> Order:
        own_event(db, org_id, event_id)
        order = db.scalar(
            select(Order).where(Order.event_id == event_id, Order.reference == reference[:40])
        )
        if action not in _ACTIONS or order is None:
            raise NotFound("no such order")
        return order

    @get("/", sync_to_thread=True, opt={"min_role": "manager"})
    def confirm(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        reference: FromPath[str],
        action: FromPath[str],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        order = self._order(db, org_id, event_id, reference, action)
        event = own_event(db, org_id, event_id)
        db.commit()
        return page(
            "organizer/order_confirm.html",
            org=org,
            event=event,
            order=order,
            action=action,
            possible=_possible(order, action),
        )

    @post("/", sync_to_thread=True)
    def apply(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        reference: FromPath[str],
        action: FromPath[str],
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
    ) -> Redirect:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        order = self._order(db, org_id, event_id, reference, action)
        db.commit()
        if not _possible(order, action):
            raise Conflict(
                f"order {order.reference} is {order.status}: there is nothing to {action}"
            )
        cancel_order(
            db,
            org_id,
            event_id,
            order.reference,
            refund=action == "refund",
            providers=provider_lookup(settings),
            now=now_s(),
        )
        return event_url(org, event_id, "refunded" if action == "refund" else "cancelled")
