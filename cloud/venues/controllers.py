from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import FromPath, JSONBody

from cloud.deps import Db, OrganizerId
from cloud.orgs.models import Role
from cloud.venues import service
from cloud.venues.gates import gates_by_venue
from cloud.venues.models import Venue
from cloud.venues.schemas import GateOut, VenueChange, VenueCreated, VenueIn, VenueOut


class VenueController(Controller):
    path = "/api/v1/venues"
    tags = ["venues"]

    @post("/", sync_to_thread=True)
    def create(self, data: JSONBody[VenueIn], db: Db, organizer_id: OrganizerId) -> VenueCreated:
        venue, api_key = service.register_venue(db, organizer_id, data.name, data.timezone)
        return _created(venue, api_key)

    @get("/", sync_to_thread=True)
    def index(self, db: Db, organizer_id: OrganizerId) -> list[VenueOut]:
        return [_out(venue) for venue in service.list_venues(db, organizer_id)]

    @patch("/{venue_id:int}", sync_to_thread=True)
    def change(
        self,
        venue_id: FromPath[int],
        data: JSONBody[VenueChange],
        db: Db,
        organizer_id: OrganizerId,
    ) -> VenueOut:
        """Rename the venue or set its time zone. Events keep their moments and are shown in
        the new zone's time."""
        venue = service.update_venue(
            db, organizer_id, venue_id, name=data.name, timezone=data.timezone
        )
        return _out(venue)

    @get("/{venue_id:int}/gates", sync_to_thread=True)
    def gates(self, venue_id: FromPath[int], db: Db, organizer_id: OrganizerId) -> list[GateOut]:
        """The gates the venue's uploaded scans name, with their scanners and last scan."""
        service.own_venue(db, organizer_id, venue_id)
        return gates_by_venue(db, [venue_id]).get(venue_id, [])

    # Cutting a running venue server off is the owner's decision, like changing the team.
    @post(
        "/{venue_id:int}/rotate-key",
        status_code=200,
        sync_to_thread=True,
        opt={"min_role": Role.OWNER.value},
    )
    def rotate_key(
        self, venue_id: FromPath[int], db: Db, organizer_id: OrganizerId
    ) -> VenueCreated:
        """A new API key, shown only in this answer; the old key stops working at once."""
        venue, api_key = service.rotate_key(db, organizer_id, venue_id)
        return _created(venue, api_key)


def _out(venue: Venue) -> VenueOut:
    return VenueOut(venue_id=venue.id, name=venue.name, timezone=venue.timezone)


def _created(venue: Venue, api_key: str) -> VenueCreated:
    return VenueCreated(
        venue_id=venue.id, name=venue.name, api_key=api_key, timezone=venue.timezone
    )
