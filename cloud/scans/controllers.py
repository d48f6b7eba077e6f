from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath
from litestar.response import Stream

from cloud.analytics.downloads import table_download
from cloud.analytics.tables import conflicts_table
from cloud.deps import Db, OrganizerId
from cloud.events.service import own_event_zone
from cloud.scans import service
from cloud.scans.schemas import ConflictList, ScanList


class EventScansController(Controller):
    path = "/api/v1/events/{event_id:int}"
    tags = ["scans"]

    @get("/scans", sync_to_thread=True)
    def scans(self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId) -> ScanList:
        return ScanList(scans=service.event_scans(db, organizer_id, event_id))

    @get("/conflicts", sync_to_thread=True)
    def conflicts(self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId) -> ConflictList:
        return ConflictList(conflicts=service.event_conflicts(db, organizer_id, event_id))

    @get("/conflicts.csv", sync_to_thread=True)
    def conflicts_csv(self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId) -> Stream:
        zone = own_event_zone(db, organizer_id, event_id)
        table = conflicts_table(service.event_conflicts(db, organizer_id, event_id), zone)
        return table_download(f"conflicts-event-{event_id}.csv", table)
