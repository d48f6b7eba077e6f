from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, patch, post, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter, RawBody
from sqlalchemy.orm import Session, sessionmaker

from cloud.access import Access
from cloud.clock import now_s
from cloud.deps import Db, OrganizerId, Settings
from cloud.errors import NotFound
from cloud.events import catalog, service
from cloud.events.models import Event, TicketType
from cloud.events.schemas import (
    EventCardOut,
    EventIn,
    EventOut,
    EventUpdate,
    ImageSize,
    OnSaleType,
    Storefront,
    TicketTypeIn,
    TicketTypeOut,
    TicketTypeUpdate,
)
from cloud.events.signing import current_key, public_entries
from cloud.events.stock import available, live_held, stale_holds
from cloud.events.storefront import StorefrontCache
from cloud.media.images import MAX_UPLOAD_BYTES
from cloud.media.store import MediaStore, media_store
from cloud.settings import CloudSettings
from cloud.timestamps import stored_moment, to_datetime
from shared.messages import KeyFile

MAX_LISTING_PAGE = 100


def _url(store: MediaStore, name: str | None) -> str | None:
    return None if name is None else store.url(name)


def _sizes(store: MediaStore, name: str | None) -> list[ImageSize]:
    if name is None:
        return []
    return [ImageSize(size.width, store.url(size.name)) for size in store.renditions(name)]


def storefront_reader(
    sessions: sessionmaker[Session], settings: CloudSettings
) -> Callable[[int], Storefront | None]:
    """What the storefront cache reads on a miss: an event's storefront, or None for an event
    buyers cannot see."""
    store = media_store(settings.data_dir)

    def read(event_id: int) -> Storefront | None:
        with sessions() as db:
            page = catalog.event_page(db, event_id, now_s())
        if page is None:
            return None
        return Storefront(
            event_id=page.event_id,
            name=page.name,
            starts_at=page.starts_at,
            ends_at=page.ends_at,
            description=page.description,
            venue_name=page.venue_name,
            timezone=page.timezone,
            allow_giving=page.allow_giving,
            image_url=_url(store, page.image),
            image_sizes=_sizes(store, page.image),
            ticket_types=[
                OnSaleType(
                    type_id=kind.type_id,
                    name=kind.name,
                    price=kind.price,
                    currency=kind.currency,
                    per_order_limit=kind.per_order_limit,
                    sale_starts_at=kind.sale_starts_at,
                    sale_ends_at=kind.sale_ends_at,
                    on_sale=kind.on_sale,
                    available=kind.available,
                )
                for kind in page.ticket_types
            ],
        )

    return read


def _out(db: Session, event: Event, key_id: int, store: MediaStore) -> EventOut:
    return EventOut(
        event_id=event.id,
        name=event.name,
        venue_id=event.venue_id,
        starts_at=to_datetime(event.starts_at),
        ends_at=to_datetime(event.ends_at),
        key_id=key_id,
        description=event.description,
        venue_name=service.venue_name(db, event.venue_id),
        published_at=_moment(event.published_at),
        image_url=_url(store, event.image),
        thumbnail_url=_url(store, event.image_thumbnail),
        hidden_at=_moment(event.hidden_at),
        hidden_reason=event.hidden_reason,
        image_sizes=_sizes(store, event.image),
        allow_giving=event.allow_giving,
    )


def _event_out(db: Session, event: Event, settings: CloudSettings) -> EventOut:
    return _out(db, event, current_key(db, event.id).id, media_store(settings.data_dir))


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
            given[bound] = stored_moment(given[bound], bound)
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
            description=data.description,
            published=data.published,
            allow_giving=data.allow_giving,
        )
        return _out(db, event, key.id, media_store(settings.data_dir))

    @get("/", sync_to_thread=True)
    def index(self, db: Db, organizer_id: OrganizerId, settings: Settings) -> list[EventOut]:
        store = media_store(settings.data_dir)
        return [
            _out(db, event, key_id, store)
            for event, key_id in service.list_events(db, organizer_id)
        ]

    @get("/{event_id:int}", sync_to_thread=True)
    def read(
        self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId, settings: Settings
    ) -> EventOut:
        return _event_out(db, service.own_event(db, organizer_id, event_id), settings)

    @patch("/{event_id:int}", sync_to_thread=True)
    def update(
        self,
        event_id: FromPath[int],
        data: JSONBody[EventUpdate],
        db: Db,
        organizer_id: OrganizerId,
        settings: Settings,
    ) -> EventOut:
        changes = {
            name: value
            for name in data.__struct_fields__
            if (value := getattr(data, name)) is not msgspec.UNSET
        }
        event = service.update_event(db, organizer_id, event_id, changes)
        return _event_out(db, event, settings)

    @post("/{event_id:int}/publish", status_code=200, sync_to_thread=True)
    def publish(
        self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId, settings: Settings
    ) -> EventOut:
        event = service.publish_event(db, organizer_id, event_id, now_s())
        return _event_out(db, event, settings)

    @post("/{event_id:int}/unpublish", status_code=200, sync_to_thread=True)
    def unpublish(
        self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId, settings: Settings
    ) -> EventOut:
        event = service.unpublish_event(db, organizer_id, event_id)
        return _event_out(db, event, settings)

    # The limit is enforced while the body streams in (413), before anything is decoded.
    @put("/{event_id:int}/image", request_max_body_size=MAX_UPLOAD_BYTES, sync_to_thread=True)
    def image(
        self,
        event_id: FromPath[int],
        body: RawBody,
        db: Db,
        organizer_id: OrganizerId,
        settings: Settings,
    ) -> EventOut:
        store = media_store(settings.data_dir)
        event = service.set_event_image(db, organizer_id, event_id, body, store)
        return _event_out(db, event, settings)

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

    @post("/{event_id:int}/keys", status_code=201, sync_to_thread=True)
    def rotate_key(
        self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId, settings: Settings
    ) -> KeyFile:
        """Sign this event's tickets with a new key from now on (managers and owners); the
        answer lists every key, the new one last. Tickets signed before stay valid."""
        service.rotate_key(db, organizer_id, event_id, settings.master_key)
        return KeyFile(keys=public_entries(db, [event_id]))


class StorefrontController(Controller):
    """What anyone may read about an event on sale: no organizer data, no counters beyond
    how many tickets are left."""

    path = "/api/v1/shop/events"
    tags = ["shop"]

    @get("/", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def listing(
        self,
        db: Db,
        settings: Settings,
        q: Annotated[str | None, QueryParameter(max_length=100)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LISTING_PAGE)] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=100_000)] = 0,
    ) -> list[EventCardOut]:
        """Published events that have not ended, soonest first; ``q`` searches names,
        descriptions and venue names."""
        store = media_store(settings.data_dir)
        with db:
            cards = catalog.published_events(
                db,
                query=q,
                now=now_s(),
                limit=limit,
                offset=offset,
            )
        return [
            EventCardOut(
                event_id=card.event_id,
                name=card.name,
                starts_at=card.starts_at,
                ends_at=card.ends_at,
                venue_name=card.venue_name,
                timezone=card.timezone,
                lowest_price=card.lowest_price,
                currency=card.currency,
                available=card.available,
                image_url=_url(store, card.image),
                thumbnail_url=_url(store, card.thumbnail),
            )
            for card in cards
        ]

    @get("/{event_id:int}", opt={"access": Access.PUBLIC})
    async def event(self, event_id: FromPath[int], state: State) -> Storefront:
        """The event's terms and seats left, as this process read them up to a second ago
        (cloud.events.storefront)."""
        storefronts: StorefrontCache = state.storefronts
        front = await storefronts.get(event_id)
        if front is None:
            # Drafts are as invisible as events that do not exist.
            raise NotFound(f"event {event_id} not found")
        return front
