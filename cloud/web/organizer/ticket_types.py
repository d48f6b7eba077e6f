"""The ticket-type forms of the event page: add a type, change its price, capacity and sale
window. Prices are typed in major units and kept in minor units, converted exactly."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from cloud.deps import Db, Settings
from cloud.errors import Conflict
from cloud.events import service
from cloud.events.schemas import MAX_CAPACITY, MAX_ENTRIES_LIMIT, MAX_PER_ORDER, MAX_PRICE
from cloud.orgs.models import Role
from cloud.web.deps import CurrentUser
from cloud.web.organizer.access import BASE, org_page
from cloud.web.organizer.event_page import event_page, event_url
from cloud.web.organizer.forms import Form
from cloud.web.organizer.home import FormData


class TicketTypeForms(Controller):
    path = f"{BASE}/orgs/{{org_id:int}}/events/{{event_id:int}}/ticket-types"

    @post("/", sync_to_thread=True)
    def add(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
        data: FormData,
    ) -> Template | Redirect:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        form = Form(data)
        name = form.text("name", "Name")
        currency = form.currency()
        price = form.price("price", currency, high=MAX_PRICE)
        capacity = form.integer("capacity", "Capacity", low=1, high=MAX_CAPACITY)
        zone = service.own_event_zone(db, org_id, event_id)
        starts = form.moment("sale_starts_at", "Sale starts", zone=zone, required=False)
        ends = form.moment("sale_ends_at", "Sale ends", zone=zone, required=False)
        form.window(starts, ends, "sale_ends_at", "Sale ends must be after Sale starts")
        limit = form.integer("per_order_limit", "Per-order limit", low=1, high=MAX_PER_ORDER)
        entries = form.integer("max_entries", "Entries per ticket", low=0, high=MAX_ENTRIES_LIMIT)
        if not form.valid:
            return event_page(
                db, org, event_id, settings, forms={"new_type": form}, status_code=400
            )
        start, end = service.sale_window(starts, ends)
        service.add_ticket_type(
            db,
            org_id,
            event_id,
            name,
            capacity,
            max_entries=entries,
            reentry=form.checkbox("reentry"),
            terms=service.SaleTerms(
                price=price,
                currency=currency,
                sale_starts_at=start,
                sale_ends_at=end,
                per_order_limit=limit,
            ),
        )
        return event_url(org, event_id, "type-added")

    @post("/{type_id:int}", sync_to_thread=True)
    def change(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        type_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
        data: FormData,
    ) -> Template | Redirect:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        row = service.own_ticket_type(db, org_id, event_id, type_id)
        zone = service.own_event_zone(db, org_id, event_id)
        db.commit()
        form = Form(data)
        price = form.price("price", row.currency, high=MAX_PRICE)
        capacity = form.integer("capacity", "Capacity", low=1, high=MAX_CAPACITY)
        starts = form.moment("sale_starts_at", "Sale starts", zone=zone, required=False)
        ends = form.moment("sale_ends_at", "Sale ends", zone=zone, required=False)
        form.window(starts, ends, "sale_ends_at", "Sale ends must be after Sale starts")
        if not form.valid:
            return event_page(
                db, org, event_id, settings, forms={f"type_{type_id}": form}, status_code=400
            )
        start, end = service.sale_window(starts, ends)
        try:
            service.update_ticket_type(
                db,
                org_id,
                event_id,
                type_id,
                {
                    "price": price,
                    "capacity": capacity,
                    "sale_starts_at": start,
                    "sale_ends_at": end,
                },
            )
        except Conflict as exc:
            # A capacity below what is sold and held: said beside the field.
            form.fail("capacity", exc.detail)
            return event_page(
                db, org, event_id, settings, forms={f"type_{type_id}": form}, status_code=409
            )
        return event_url(org, event_id, "type-changed")
