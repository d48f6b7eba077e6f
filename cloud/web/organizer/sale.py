"""Cancelling and refunding an order from the event page, each behind a confirmation page,
and emailing its tickets to the buyer again.

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
from cloud.events.models import Event
from cloud.events.service import own_event
from cloud.orders.models import Order, OrderStatus
from cloud.orders.payments import FREE, provider_lookup
from cloud.orders.service import cancel_order, email_order_for_organizer
from cloud.orgs.models import Role
from cloud.web.deps import CurrentUser
from cloud.web.organizer.access import BASE, OrgPage, org_page
from cloud.web.organizer.event_page import event_url
from cloud.web.organizer.forms import Form
from cloud.web.organizer.home import FormData
from cloud.web.templating import page

# What each action may be applied to: a refund needs money that was taken.
_ACTIONS = {"cancel": {OrderStatus.PENDING, OrderStatus.PAID}, "refund": {OrderStatus.PAID}}


def _event_order(db: Db, org_id: int, event_id: int, reference: str) -> tuple[Event, Order]:
    """The organisation's event and its order with this reference, or NotFound."""
    event = own_event(db, org_id, event_id)
    order = db.scalar(
        select(Order).where(Order.event_id == event_id, Order.reference == reference[:40])
    )
    if order is None:
        raise NotFound("no such order")
    return event, order


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
        if action not in _ACTIONS:
            raise NotFound("no such order")
        return _event_order(db, org_id, event_id, reference)[1]

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


class OrderEmailPage(Controller):
    """Emailing a paid order's tickets to its buyer again, to a corrected address if the
    buyer mistyped it (cloud.orders.service.email_order_for_organizer)."""

    path = f"{BASE}/orgs/{{org_id:int}}/events/{{event_id:int}}/orders/{{reference:str}}/email"

    @get("/", sync_to_thread=True, opt={"min_role": "manager"})
    def form(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        reference: FromPath[str],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        event, order = _event_order(db, org_id, event_id, reference)
        db.commit()
        form = Form({"email": order.buyer_email})
        return _email_page(org, event, order, form)

    @post("/", sync_to_thread=True)
    def send(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        reference: FromPath[str],
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
        data: FormData,
    ) -> Template | Redirect:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        event, order = _event_order(db, org_id, event_id, reference)
        db.commit()
        form = Form(data)
        address = form.email("email", "Send to")
        if not form.valid:
            return _email_page(org, event, order, form, status_code=400)
        email_order_for_organizer(
            db,
            org_id,
            event_id,
            order.reference,
            to=address,
            now=now_s(),
            master_key=settings.master_key,
            public_url=settings.public_url,
        )
        return event_url(org, event_id, "emailed")


def _email_page(
    org: OrgPage, event: Event, order: Order, form: Form, status_code: int = 200
) -> Template:
    return page(
        "organizer/order_email.html",
        status_code=status_code,
        org=org,
        event=event,
        order=order,
        form=form,
        possible=order.status == OrderStatus.PAID,
    )
