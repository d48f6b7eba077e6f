"""An organisation's venues with the gates their scans name, the form that registers a venue
and shows its API key once, renaming a venue or setting its time zone, and rotating a venue's
key (owners only, after a confirmation): the new key is shown once and the old one stops
working at once."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from cloud.clock import now_s
from cloud.deps import Db
from cloud.orgs.models import Role
from cloud.venues import zones
from cloud.venues.gates import gates_by_venue
from cloud.venues.service import (
    list_venues,
    own_venue,
    register_venue,
    rotate_key,
    update_venue,
)
from cloud.web.deps import CurrentUser
from cloud.web.organizer.access import BASE, OrgPage, org_page
from cloud.web.organizer.forms import Form
from cloud.web.organizer.home import FormData
from cloud.web.templating import page

# The page with a new API key must not be kept by the browser or a proxy.
NO_STORE = {"Cache-Control": "no-store"}


def _venues_page(
    db: Session,
    org: OrgPage,
    form: Form,
    *,
    status_code: int = 200,
    new_key: str | None = None,
    new_venue: str | None = None,
    rotated: bool = False,
    edited: tuple[int, Form] | None = None,
    saved: str | None = None,
) -> Template:
    """The venues with their gates; ``form`` is the new-venue form, ``edited`` a venue's
    form sent back with its errors."""
    venues = list_venues(db, org.org_id)
    gates = gates_by_venue(db, [venue.id for venue in venues])
    db.commit()
    edits = {venue.id: Form({"name": venue.name, "timezone": venue.timezone}) for venue in venues}
    if edited is not None:
        edits[edited[0]] = edited[1]
    return page(
        "organizer/venues.html",
        status_code=status_code,
        headers=NO_STORE if new_key else None,
        org=org,
        venues=venues,
        gates=gates,
        form=form,
        edits=edits,
        now=now_s(),
        new_key=new_key,
        new_venue=new_venue,
        rotated=rotated,
        saved=saved,
    )


class VenuesPages(Controller):
    path = f"{BASE}/orgs/{{org_id:int}}/venues"

    @get("/", sync_to_thread=True)
    def venues(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        saved: FromQuery[str | None] = None,
    ) -> Template:
        org = org_page(db, current_user, request, org_id)
        return _venues_page(db, org, Form({"timezone": zones.DEFAULT}), saved=saved)

    @post("/", sync_to_thread=True)
    def create(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        data: FormData,
    ) -> Template:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        form = Form(data)
        name = form.text("name", "Venue name")
        timezone = form.zone()
        if not form.valid:
            return _venues_page(db, org, form, status_code=400)
        venue, api_key = register_venue(db, org_id, name, timezone)
        # Answered here rather than redirected: the key exists only in this response.
        return _venues_page(
            db,
            org,
            Form({"timezone": zones.DEFAULT}),
            status_code=201,
            new_key=api_key,
            new_venue=venue.name,
        )

    @post("/{venue_id:int}", sync_to_thread=True)
    def change(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        venue_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        data: FormData,
    ) -> Template | Redirect:
        """Rename a venue or set its time zone."""
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        own_venue(db, org.org_id, venue_id)
        form = Form(data)
        name = form.text("name", "Venue name")
        timezone = form.zone()
        if not form.valid:
            return _venues_page(
                db, org, Form({"timezone": zones.DEFAULT}), status_code=400, edited=(venue_id, form)
            )
        update_venue(db, org.org_id, venue_id, name=name, timezone=timezone)
        return Redirect(f"{org.base}/venues/?saved={venue_id}#venue-{venue_id}", status_code=303)

    @get("/{venue_id:int}/rotate-key", sync_to_thread=True, opt={"min_role": "owner"})
    def confirm_rotation(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        venue_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        org = org_page(db, current_user, request, org_id, Role.OWNER)
        venue = own_venue(db, org.org_id, venue_id)
        db.commit()
        return page("organizer/venue_rotate.html", org=org, venue=venue)

    @post("/{venue_id:int}/rotate-key", sync_to_thread=True, opt={"min_role": "owner"})
    def rotate(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        venue_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Template:
        org = org_page(db, current_user, request, org_id, Role.OWNER)
        venue, api_key = rotate_key(db, org.org_id, venue_id)
        return _venues_page(db, org, Form({}), new_key=api_key, new_venue=venue.name, rotated=True)
