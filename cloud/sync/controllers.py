"""The endpoints venue servers call with their API key."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from litestar import Controller, Request, get, post
from litestar.params import Parameter

from cloud.deps import CurrentVenue, Db, Settings
from cloud.sync.manifest import manifest_page
from cloud.sync.schemas import VenueMe
from cloud.sync.uploads import parse_batch, store_scans
from shared.messages import ManifestPage, ScanAck


class VenueSyncController(Controller):
    path = "/api/v1/venue"
    tags = ["venue sync"]

    @get("/me", sync_to_thread=True)
    def me(self, venue: CurrentVenue) -> VenueMe:
        return VenueMe(venue_id=venue.id, name=venue.name)

    @get("/manifest", sync_to_thread=True)
    def manifest(
        self,
        db: Db,
        venue: CurrentVenue,
        settings: Settings,
        cursor: Annotated[str | None, Parameter(max_length=4096)] = None,
        limit: Annotated[int | None, Parameter(ge=1, le=10_000)] = None,
    ) -> ManifestPage:
        size = min(limit or settings.manifest_page_default, settings.manifest_page_max)
        return manifest_page(db, venue, cursor, size)

    @post("/scans", status_code=200)
    async def upload(self, request: Request, db: Db, venue: CurrentVenue) -> ScanAck:
        # The raw body goes to shared.messages.decode rather than the framework's decoder, so
        # the protocol version is checked and a broken batch is refused whole, in the same
        # words on every tier.
        batch = parse_batch(await request.body())
        return await anyio.to_thread.run_sync(store_scans, db, venue, batch)
