from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from cloud.deps import Db, OrganizerId, Settings
from cloud.events import service
from cloud.events.models import Event
from cloud.events.schemas import EventIn, EventOut, TicketTypeIn, TicketTypeOut
from cloud.events.signing import public_entries
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
        row = service.add_ticket_type(
            db,
            organizer_id,
            event_id,
            data.name,
            data.capacity,
            max_entries=data.max_entries,
            reentry=data.reentry,
        )
        return TicketTypeOut(
            type_id=row.id,
            name=row.name,
            capacity=row.capacity,
            max_entries=row.max_entries,
            reentry=row.reentry,
        )

    @get("/{event_id:int}/keys", sync_to_thread=True)
    def keys(self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId) -> KeyFile:
        service.own_event(db, organizer_id, event_id)
        return KeyFile(keys=public_entries(db, [event_id]))
