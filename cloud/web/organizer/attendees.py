"""An event's attendees: search, filters, pages, and the CSV export of the same rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Stream, Template

from cloud.analytics.attendees import AttendeeFilter, attendee_page
from cloud.analytics.downloads import attendees_download
from cloud.deps import Db
from cloud.events.service import own_event, own_event_zone, ticket_types
from cloud.web.deps import CurrentUser
from cloud.web.organizer.access import BASE, org_page
from cloud.web.organizer.listing import PER_PAGE, Pager, choice, number, page_number, text
from cloud.web.templating import page

CHECKED_IN = {"": None, "in": True, "out": False}
VALIDITY = {"valid": False, "revoked": True, "all": None}


def read_filter(params: Mapping[str, str]) -> tuple[AttendeeFilter, tuple[tuple[str, str], ...]]:
    """The filter the query string asks for, and the parameters that say it again."""
    query = text(params, "q")
    type_id = number(params, "type_id", default=None, high=2**31 - 1)
    checked = choice(params, "checked_in", tuple(CHECKED_IN))
    validity = choice(params, "status", tuple(VALIDITY))
    wanted = AttendeeFilter(
        query=query,
        type_id=type_id,
        checked_in=CHECKED_IN[checked],
        revoked=VALIDITY[validity],
    )
    kept = (
        ("q", query),
        ("type_id", "" if type_id is None else str(type_id)),
        ("checked_in", checked),
        ("status", validity),
    )
    return wanted, kept


class AttendeesPages(Controller):
    path = f"{BASE}/orgs/{{org_id:int}}/events/{{event_id:int}}"

    @get("/attendees", sync_to_thread=True)
    def attendees(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        org = org_page(db, current_user, request, org_id)
        wanted, kept = read_filter(request.query_params)
        page_no = page_number(request.query_params)
        event = own_event(db, org.org_id, event_id)
        zone = own_event_zone(db, org.org_id, event_id)
        types = ticket_types(db, event_id)
        found = attendee_page(db, event_id, wanted, offset=(page_no - 1) * PER_PAGE, limit=PER_PAGE)
        db.commit()
        return page(
            "organizer/attendees.html",
            org=org,
            event=event,
            zone=zone,
            types=types,
            found=found,
            pager=Pager(page_no, PER_PAGE, found.total, kept),
            values=dict(kept),
            filtered=wanted != AttendeeFilter(),
        )

    @get("/attendees.csv", sync_to_thread=True)
    def export(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        state: State,
    ) -> Stream:
        org = org_page(db, current_user, request, org_id)
        wanted, _ = read_filter(request.query_params)
        zone = own_event_zone(db, org.org_id, event_id)
        return attendees_download(db, state.session_factory, event_id, wanted, zone)
