from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from cloud.deps import Db, OrganizerId
from cloud.venues import service
from cloud.venues.schemas import VenueCreated, VenueIn, VenueOut


class VenueController(Controller):
    path = "/api/v1/venues"
    tags = ["venues"]

    @post("/", sync_to_thread=True)
    def create(self, data: JSONBody[VenueIn], db: Db, organizer_id: OrganizerId) -> VenueCreated:
        venue, api_key = service.register_venue(db, organizer_id, data.name)
        return VenueCreated(venue_id=venue.id, name=venue.name, api_key=api_key)

    @get("/", sync_to_thread=True)
    def index(self, db: Db, organizer_id: OrganizerId) -> list[VenueOut]:
        return [VenueOut(venue_id=v.id, name=v.name) for v in service.list_venues(db, organizer_id)]
