"""Live check-in for an event: admitted versus sold, no-shows, entries per minute, each
gate's figures and the conflicts between gates, from the scans venue servers upload.

The page refreshes its figures by itself: ``organizer-live.js`` fetches the fragment at
``.../checkin/live`` every few seconds while the tab is visible and swaps it in, keeping
the reader's scroll position and focus (a whole-page reload would lose both and make screen
readers start over); without scripts a ``<noscript>`` meta refresh reloads the page."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Stream, Template
from sqlalchemy.orm import Session

from cloud.analytics.attendance import attendance_report
from cloud.analytics.downloads import table_download
from cloud.analytics.tables import conflicts_table
from cloud.clock import now_s
from cloud.deps import Db
from cloud.events.models import Event
from cloud.events.service import own_event, own_event_zone
from cloud.scans.service import event_conflicts
from cloud.venues.service import own_venue
from cloud.web.deps import CurrentUser
from cloud.web.organizer.access import BASE, OrgPage, org_page
from cloud.web.organizer.charts import columns, stacked_bars
from cloud.web.organizer.moments import minute
from cloud.web.templating import page

# The conflicts the page lists, newest first; all of them are in the CSV file.
CONFLICTS_SHOWN = 50
# Seconds between refreshes of the figures while the page is open (and visible).
REFRESH_S = 10
# Without scripts the whole page reloads, less often.
NOSCRIPT_REFRESH_S = 30
NO_STORE = {"Cache-Control": "no-store"}


def _context(db: Session, org: OrgPage, event: Event) -> dict[str, Any]:
    now = now_s()
    # Times at the door read in the venue's time, as its staff's watches do.
    zone = own_venue(db, org.org_id, event.venue_id).timezone
    report = attendance_report(db, event.id, now)
    conflicts = event_conflicts(db, org.org_id, event.id, newest=CONFLICTS_SHOWN)
    db.commit()
    return {
        "org": org,
        "event": event,
        "report": report,
        "conflicts": conflicts,
        "conflicts_shown": CONFLICTS_SHOWN,
        "now": now,
        "zone": zone,
        "per_minute": columns(
            "entries-plot",
            "Entries per minute, last hour",
            [(row.minute, row.admitted) for row in report.per_minute],
            when=partial(minute, zone=zone),
            noun=" in",
        ),
        "by_type": stacked_bars(
            "attendance-plot",
            "Checked in by ticket type",
            [
                (row.name, [("bar-admitted", row.checked_in), ("bar-missing", row.no_shows)])
                for row in report.types
            ],
            (("bar-admitted", "Checked in"), ("bar-missing", "Not checked in")),
        ),
        "refresh_s": REFRESH_S,
        "noscript_refresh_s": NOSCRIPT_REFRESH_S,
    }


class CheckinPages(Controller):
    path = f"{BASE}/orgs/{{org_id:int}}/events/{{event_id:int}}/checkin"

    @get("/", sync_to_thread=True)
    def checkin(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        org = org_page(db, current_user, request, org_id)
        event = own_event(db, org.org_id, event_id)
        return page("organizer/checkin.html", headers=NO_STORE, **_context(db, org, event))

    @get("/live", sync_to_thread=True)
    def live(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        """The figures alone, for the page's script to swap in."""
        org = org_page(db, current_user, request, org_id)
        event = own_event(db, org.org_id, event_id)
        return page("organizer/_checkin_live.html", headers=NO_STORE, **_context(db, org, event))

    @get("/conflicts.csv", sync_to_thread=True)
    def conflicts_csv(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Stream:
        """Every conflict of the event (the page lists the newest), as the JSON API's CSV."""
        org = org_page(db, current_user, request, org_id)
        zone = own_event_zone(db, org.org_id, event_id)
        table = conflicts_table(event_conflicts(db, org.org_id, event_id), zone)
        return table_download(f"conflicts-event-{event_id}.csv", table)
