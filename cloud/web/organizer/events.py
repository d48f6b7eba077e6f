"""An organisation's events: the list with how each is selling, and the "New event" form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from cloud.deps import Db, Settings
from cloud.errors import InvalidInput
from cloud.events import service
from cloud.events.schemas import MAX_DESCRIPTION
from cloud.media.store import media_store
from cloud.orgs.models import Role
from cloud.venues import zones
from cloud.venues.service import list_venues
from cloud.web.deps import CurrentUser
from cloud.web.organizer.access import BASE, OrgPage, org_page
from cloud.web.organizer.forms import Form
from cloud.web.organizer.home import MultipartData
from cloud.web.organizer.queries import stock_by_event
from cloud.web.organizer.uploads import read_image
from cloud.web.templating import page


@dataclass(frozen=True, slots=True)
class EventFields:
    name: str
    starts_at: datetime | None
    ends_at: datetime | None
    description: str


def read_event_fields(form: Form, zone: str) -> EventFields:
    """The fields the new-event and edit forms share, checked together; times are typed in
    ``zone``, the venue's."""
    name = form.text("name", "Event name")
    starts = form.moment("starts_at", "Starts", zone=zone)
    ends = form.moment("ends_at", "Ends", zone=zone)
    form.window(starts, ends, "ends_at", "Ends must be after Starts")
    description = form.values.get("description", "")
    if len(description) > MAX_DESCRIPTION:
        form.fail("description", f"Description is too long (at most {MAX_DESCRIPTION} characters)")
    else:
        try:
            description = service.check_description(description)
        except InvalidInput as exc:
            form.fail("description", exc.detail)
    # Keep what was typed (line breaks included) to show the form again.
    form.values["description"] = description
    return EventFields(name, starts, ends, description)


def _new_event_page(db: Session, org: OrgPage, form: Form, status_code: int = 200) -> Template:
    venues = list_venues(db, org.org_id)
    db.commit()
    return page(
        "organizer/event_new.html", status_code=status_code, org=org, venues=venues, form=form
    )


class EventsPages(Controller):
    path = f"{BASE}/orgs/{{org_id:int}}"

    @get("/", sync_to_thread=False)
    def org_root(self, org_id: FromPath[int]) -> Redirect:
        return Redirect(f"{BASE}/orgs/{org_id}/events", status_code=303)

    @get("/events", sync_to_thread=True)
    def events(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        org = org_page(db, current_user, request, org_id)
        events = [event for event, _ in service.list_events(db, org_id)]
        venues = {venue.id: venue for venue in list_venues(db, org_id)}
        stock = stock_by_event(db, [event.id for event in events])
        db.commit()
        events.sort(key=lambda event: (event.starts_at, event.id))
        return page(
            "organizer/events.html",
            org=org,
            events=events,
            venues=venues,
            stock=stock,
            done=request.query_params.get("done"),
        )

    @get("/events/new", sync_to_thread=True, opt={"min_role": "manager"})
    def new_event(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        return _new_event_page(db, org, Form({}))

    @post("/events", sync_to_thread=True)
    def create_event(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
        data: MultipartData,
    ) -> Template | Redirect:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        form = Form(data)
        venue_id = form.integer("venue_id", "Venue", low=1, high=2**31 - 1)
        zones_by_venue = {venue.id: venue.timezone for venue in list_venues(db, org_id)}
        if form.valid and venue_id not in zones_by_venue:
            form.fail("venue_id", "Choose one of your venues")
        fields = read_event_fields(form, zones_by_venue.get(venue_id, zones.DEFAULT))
        image = read_image(form, data)
        if not form.valid or fields.starts_at is None or fields.ends_at is None:
            return _new_event_page(db, org, form, status_code=400)
        event, _ = service.create_event(
            db,
            org_id,
            settings.master_key,
            name=fields.name,
            venue_id=venue_id,
            starts_at=fields.starts_at,
            ends_at=fields.ends_at,
            description=fields.description,
        )
        if image is not None:
            service.set_event_image(db, org_id, event.id, image, media_store(settings.data_dir))
        return Redirect(f"{org.base}/events/{event.id}?done=created", status_code=303)
