"""One event's page: its details, publishing, ticket types, vouchers and the sale.

Every form of the page posts to its own route (cloud.web.organizer.ticket_types, .vouchers,
.sale and the handlers here); one that fails shows the whole page again with that form's
input and errors, and changes nothing."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from cloud.analytics.orders import order_page
from cloud.analytics.sales import sales_figures
from cloud.clock import now_s
from cloud.deps import Db, Settings
from cloud.events import service
from cloud.events.stock import available, live_held, stale_holds
from cloud.media.store import media_store
from cloud.orgs.models import Role
from cloud.settings import CloudSettings
from cloud.timestamps import to_datetime
from cloud.venues.service import own_venue
from cloud.vouchers.service import list_vouchers
from cloud.web.deps import CurrentUser
from cloud.web.organizer.access import BASE, OrgPage, org_page
from cloud.web.organizer.events import read_event_fields
from cloud.web.organizer.forms import Form, local_input
from cloud.web.organizer.home import FormData, MultipartData
from cloud.web.organizer.money import to_major
from cloud.web.organizer.uploads import read_image
from cloud.web.templating import page

RECENT_ORDERS = 10


def _moment(seconds: int | None, zone: str) -> str:
    return "" if seconds is None else local_input(to_datetime(seconds), zone)


def event_page(
    db: Session,
    org: OrgPage,
    event_id: int,
    settings: CloudSettings,
    *,
    forms: dict[str, Form] | None = None,
    status_code: int = 200,
    done: str | None = None,
) -> Template:
    """The event page; ``forms`` holds the forms to show as submitted (with their errors)
    instead of filled from the database."""
    now = now_s()
    event = service.own_event(db, org.org_id, event_id)
    venue = own_venue(db, org.org_id, event.venue_id)
    types = service.ticket_types(db, event_id)
    stale = stale_holds(db, event_id, now)
    vouchers = list_vouchers(db, org.org_id, event_id)
    # The latest orders; the orders page has them all, searchable.
    orders = order_page(db, event_id, limit=RECENT_ORDERS)
    figures = sales_figures(db, event_id, now)
    db.commit()
    store = media_store(settings.data_dir)
    shown = dict(forms or {})
    shown.setdefault(
        "details",
        Form(
            {
                "name": event.name,
                "starts_at": _moment(event.starts_at, venue.timezone),
                "ends_at": _moment(event.ends_at, venue.timezone),
                "description": event.description,
                "allow_giving": "1" if event.allow_giving else "",
            }
        ),
    )
    currency = types[0].currency if types else "EUR"
    shown.setdefault(
        "new_type",
        Form({"currency": currency, "per_order_limit": "10", "max_entries": "1"}),
    )
    shown.setdefault("new_voucher", Form({"kind": "percent"}))
    shown.setdefault("image", Form({}))
    for row in types:
        shown.setdefault(
            f"type_{row.id}",
            Form(
                {
                    "price": to_major(row.price, row.currency),
                    "capacity": str(row.capacity),
                    "sale_starts_at": _moment(row.sale_starts_at, venue.timezone),
                    "sale_ends_at": _moment(row.sale_ends_at, venue.timezone),
                }
            ),
        )
    return page(
        "organizer/event.html",
        status_code=status_code,
        org=org,
        event=event,
        venue=venue,
        image_url=None if event.image_thumbnail is None else store.url(event.image_thumbnail),
        types=[(row, live_held(row, stale), available(row, stale)) for row in types],
        type_names={row.id: row.name for row in types},
        vouchers=vouchers,
        orders=orders,
        figures=figures,
        forms=shown,
        done=done,
    )


def event_url(org: OrgPage, event_id: int, done: str) -> Redirect:
    return Redirect(f"{org.base}/events/{event_id}?done={done}", status_code=303)


class EventPage(Controller):
    path = f"{BASE}/orgs/{{org_id:int}}/events/{{event_id:int}}"

    @get("/", sync_to_thread=True)
    def show(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
    ) -> Template:
        org = org_page(db, current_user, request, org_id)
        return event_page(db, org, event_id, settings, done=request.query_params.get("done"))

    @post("/details", sync_to_thread=True)
    def edit(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
        data: FormData,
    ) -> Template | Redirect:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        form = Form(data)
        fields = read_event_fields(form, service.own_event_zone(db, org_id, event_id))
        if not form.valid:
            return event_page(db, org, event_id, settings, forms={"details": form}, status_code=400)
        service.update_event(
            db,
            org_id,
            event_id,
            {
                "name": fields.name,
                "starts_at": fields.starts_at,
                "ends_at": fields.ends_at,
                "description": fields.description,
                "allow_giving": form.checkbox("allow_giving"),
            },
        )
        return event_url(org, event_id, "details")

    @post("/image", sync_to_thread=True)
    def image(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
        data: MultipartData,
    ) -> Template | Redirect:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        form = Form(data)
        image = read_image(form, data)
        if image is None and form.valid:
            form.fail("image", "Choose a picture to upload")
        if image is None:
            return event_page(db, org, event_id, settings, forms={"image": form}, status_code=400)
        service.set_event_image(db, org_id, event_id, image, media_store(settings.data_dir))
        return event_url(org, event_id, "image")

    @post("/publish", sync_to_thread=True)
    def publish(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Redirect:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        service.publish_event(db, org_id, event_id, now_s())
        return event_url(org, event_id, "published")

    @post("/unpublish", sync_to_thread=True)
    def unpublish(
        self,
        *,
        request: Request[Any, Any, Any],
        org_id: FromPath[int],
        event_id: FromPath[int],
        db: Db,
        current_user: CurrentUser,
    ) -> Redirect:
        org = org_page(db, current_user, request, org_id, Role.MANAGER)
        service.unpublish_event(db, org_id, event_id)
        return event_url(org, event_id, "unpublished")
