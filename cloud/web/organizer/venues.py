"""An organisation's venues with the gates their scans name, the form that registers a venue
and shows its API key once, and rotating a venue's key (owners only, after a confirmation):
the new key is shown once and the old one stops working at once."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy.orm import Session

from cloud.deps import Db
from cloud.orgs.models import Role
from cloud.venues.gates import gates_by_venue
from cloud.venues.service import list_venues, own_venue, register_venue, rotate_key
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
) -> Template:
    venues = list_venues(db, org.org_id)
    gates = gates_by_venue(db, [venue.id for venue in venues])
    db.commit()
    return page(
        "organizer/venues.html",
        status_code=status_code,
        headers=NO_STORE if new_key else None,
        org=org,
        venues=venues,
        gates=gates,
        form=form,
        new_key=new_key,
        new_venue=new_venue,
        rotated=rotated,
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
    ) -> Template:
        org = org_page(db, current_user, request, org_id)
        return _venues_page(db, org, Form({}))

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
        if not form.valid:
            return _venues_page(db, org, form, status_code=400)
        venue, api_key = register_venue(db, org_id, name)
        # Answered here rather than redirected: the key exists only in this response.
        return _venues_page(
            db, org, Form({}), status_code=201, new_key=api_key, new_venue=venue.name
        )

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
