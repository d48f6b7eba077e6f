from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import FromPath, JSONBody
from sqlalchemy.orm import Session

from cloud.clock import now_s
from cloud.deps import Db, OrganizerId, Settings
from cloud.errors import NotFound
from cloud.events import service
from cloud.events.models import Event, TicketType
from cloud.events.schemas import (
    EventIn,
    EventOut,
    OnSaleType,
    Storefront,
    TicketTypeIn,
    TicketTypeOut,
    TicketTypeUpdate,
)
from cloud.events.signing import public_entries
from cloud.events.stock import available, live_held, stale_holds
from cloud.timestamps import to_datetime
from shared.messages import KeyFile


def _out(event: Event, key_id: int) -> EventOut:
    return EventOut(
        event_id=event.id,
        name=event.name,
        venue_id=event.venue_id,
        starts_at=to_datetime(event.starts_at),
        ends_at=to_datetime(event.ends_at),
        key_id=key_id,
    )


def _moment(seconds: int | None) -> datetime | None:
    return None if seconds is None else to_datetime(seconds)


def _type_out(row: TicketType, stale: dict[int, int]) -> TicketTypeOut:
    return TicketTypeOut(
        type_id=row.id,
        name=row.name,
        capacity=row.capacity,
        max_entries=row.max_entries,
        reentry=row.reentry,
        price=row.price,
        currency=row.currency,
        sale_starts_at=_moment(row.sale_starts_at),
        sale_ends_at=_moment(row.sale_ends_at),
        per_order_limit=row.per_order_limit,
        sold=row.sold,
        held=live_held(row, stale),
        available=available(row, stale),
    )


def _changes(data: TicketTypeUpdate) -> dict[str, Any]:
    """The fields the organizer sent, in database units."""
    given = {
        name: value
        for name in data.__struct_fields__
        if (value := getattr(data, name)) is not msgspec.UNSET
    }
    for bound in ("sale_starts_at", "sale_ends_at"):
        if bound in given:
            given[bound] = service.sale_moment(given[bound], bound)
    return given


class EventController(Controller):
    path = "/api/v1/events"
    tags = ["events"]

    @post("/", sync_to_thread=True)
    def create(
        self, data: JSONBody[EventIn], db: Db, organizer_id: OrganizerId, settings: Settings
    ) -> EventOut:
        event, key = service.create_event(
            db,
            organizer_id,
            settings.master_key,
            name=data.name,
            venue_id=data.venue_id,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
        )
        return _out(event, key.id)

    @get("/", sync_to_thread=True)
    def index(self, db: Db, organizer_id: OrganizerId) -> list[EventOut]:
        return [_out(event, key_id) for event, key_id in service.list_events(db, organizer_id)]

    @post("/{event_id:int}/ticket-types", sync_to_thread=True)
    def add_type(
        self,
        event_id: FromPath[int],
        data: JSONBody[TicketTypeIn],
        db: Db,
        organizer_id: OrganizerId,
    ) -> TicketTypeOut:
        start, end = service.sale_window(data.sale_starts_at, data.sale_ends_at)
        row = service.add_ticket_type(
            db,
            organizer_id,
            event_id,
            data.name,
            data.capacity,
            max_entries=data.max_entries,
            reentry=data.reentry,
            terms=service.SaleTerms(
                price=data.price,
                currency=data.currency,
                sale_starts_at=start,
                sale_ends_at=end,
                per_order_limit=data.per_order_limit,
            ),
        )
        return _type_out(row, {})

    @get("/{event_id:int}/ticket-types", sync_to_thread=True)
    def types(
        self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId
    ) -> list[TicketTypeOut]:
        service.own_event(db, organizer_id, event_id)
        stale = stale_holds(db, event_id, now_s())
        return [_type_out(row, stale) for row in service.ticket_types(db, event_id)]

    @patch("/{event_id:int}/ticket-types/{type_id:int}", sync_to_thread=True)
    def update_type(
        self,
        event_id: FromPath[int],
        type_id: FromPath[int],
        data: JSONBody[TicketTypeUpdate],
        db: Db,
        organizer_id: OrganizerId,
    ) -> TicketTypeOut:
        row = service.update_ticket_type(db, organizer_id, event_id, type_id, _changes(data))
        return _type_out(row, stale_holds(db, event_id, now_s()))

    @get("/{event_id:int}/keys", sync_to_thread=True)
    def keys(self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId) -> KeyFile:
        service.own_event(db, organizer_id, event_id)
        return KeyFile(keys=public_entries(db, [event_id]))


class StorefrontController(Controller):
    """What anyone may read about an event on sale: no organizer data, no counters beyond
    how many tickets are left."""

    path = "/api/v1/shop/events"
    tags = ["shop"]

    @get("/{event_id:int}", sync_to_thread=True)
    def event(self, event_id: FromPath[int], db: Db) -> Storefront:
        # Closed here, in the worker thread, so the connection is back in the pool at once
        # (see cloud.orders.controllers.ShopController).
        with db:
            return self._storefront(db, event_id)

    @staticmethod
    def _storefront(db: Session, event_id: int) -> Storefront:
        event = db.get(Event, event_id)
        if event is None:
            raise NotFound(f"event {event_id} not found")
        now = now_s()
        stale = stale_holds(db, event_id, now)
        return Storefront(
            event_id=event.id,
            name=event.name,
            starts_at=to_datetime(event.starts_at),
            ends_at=to_datetime(event.ends_at),
            ticket_types=[
                OnSaleType(
                    type_id=row.id,
                    name=row.name,
                    price=row.price,
                    currency=row.currency,
                    per_order_limit=row.per_order_limit,
                    sale_starts_at=_moment(row.sale_starts_at),
                    sale_ends_at=_moment(row.sale_ends_at),
                    on_sale=service.on_sale(row, now),
                    available=available(row, stale),
                )
                for row in service.ticket_types(db, event_id)
            ],
        )
