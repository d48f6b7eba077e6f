"""The buyer's pages before the cart: the event listing and an event's page with its reserve
form.

Anonymous visitors all see the same listing and event pages, so those go through the page
cache for a few seconds (cloud.cache); availability may lag by that much, the hold itself is
authoritative. Logged-in visitors see their own nav and prefilled form, rendered fresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect
from sqlalchemy.orm import Session

from cloud.access import Access
from cloud.addresses import email_address
from cloud.cache import Cache, cached, event_page_key, listing_key
from cloud.clock import now_s
from cloud.deps import ClientIp, Db, Limiter, PageCache, Settings
from cloud.errors import CloudError, Conflict, InvalidInput, NotFound
from cloud.events.catalog import EventPage, event_page, published_events
from cloud.orders import holds, waitlist
from cloud.ratelimit import RateLimited
from cloud.users.models import User
from cloud.web.calendar import Entry, calendar_response
from cloud.web.cart import cart_cookie
from cloud.web.deps import CurrentUser
from cloud.web.forms import FormData, text, whole_number
from cloud.web.responses import PUBLIC_PAGE_TTL_S, personal_page, public_page
from cloud.web.templating import CSRF_PLACEHOLDER, csrf_token_of, render

PAGE_SIZE = 12
# Every seat a buyer may pick in one go is one <option>; more than this is a long list.
MAX_CHOICE = 20
MAX_PAGE = 1000

Query = Annotated[str, QueryParameter(max_length=200)]
PageNumber = Annotated[int, QueryParameter(name="page", ge=1, le=MAX_PAGE)]


class StorefrontPages(Controller):
    path = "/"
    include_in_schema = False

    # One path per handler: Litestar wraps a sync handler once per path it is registered on.
    @get("/", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def home(
        self,
        *,
        request: Request[Any, Any, Any],
        db: Db,
        cache: PageCache,
        current_user: CurrentUser,
        q: Query = "",
        page_number: PageNumber = 1,
    ) -> Response[Any]:
        return _listing(
            request, db=db, cache=cache, user=current_user, q=q, page_number=page_number
        )

    @get("/events", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def listing(
        self,
        *,
        request: Request[Any, Any, Any],
        db: Db,
        cache: PageCache,
        current_user: CurrentUser,
        q: Query = "",
        page_number: PageNumber = 1,
    ) -> Response[Any]:
        return _listing(
            request, db=db, cache=cache, user=current_user, q=q, page_number=page_number
        )

    @get("/events/{event_id:int}", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def event(
        self,
        request: Request[Any, Any, Any],
        event_id: FromPath[int],
        db: Db,
        cache: PageCache,
        current_user: CurrentUser,
    ) -> Response[Any]:
        if current_user is None:
            body = cached(
                cache,
                event_page_key(event_id, "html"),
                PUBLIC_PAGE_TTL_S,
                lambda: _event_html(request, db, event_id, None, shared=True).encode(),
            )
            token = csrf_token_of(request)
            return public_page(
                body.replace(CSRF_PLACEHOLDER.encode(), token.encode()), shared=False
            )
        return personal_page(_event_html(request, db, event_id, current_user))

    @get(
        "/events/{event_id:int}/calendar.ics",
        sync_to_thread=True,
        opt={"access": Access.PUBLIC},
    )
    def calendar(self, event_id: FromPath[int], db: Db, settings: Settings) -> Response[bytes]:
        """The event as a calendar entry ("Add to calendar")."""
        with db:
            event = event_page(db, event_id, now_s())
        if event is None:
            raise NotFound("There is no such event, or it is not on sale.")
        entry = Entry(
            event_id=event.event_id,
            name=event.name,
            description=event.description,
            starts_at=event.starts_at,
            ends_at=event.ends_at,
            venue_name=event.venue_name,
            url=f"{settings.public_url}/events/{event.event_id}",
        )
        return calendar_response(entry, datetime.now(UTC), {"Cache-Control": "public, max-age=60"})

    @post("/events/{event_id:int}/waitlist", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def join_waitlist(
        self,
        *,
        request: Request[Any, Any, Any],
        event_id: FromPath[int],
        data: FormData,
        db: Db,
        rate_limiter: Limiter,
        client_ip: ClientIp,
        current_user: CurrentUser,
    ) -> Response[Any]:
        """Put an address on the waiting list of an event with nothing to buy now."""
        email = text(data, "email")
        try:
            email_address(email)
        except InvalidInput:
            problem = "Enter your email address, like name@example.org."
            html = _event_html(request, db, event_id, current_user, form=data, errors=[problem])
            return personal_page(html, status_code=400)
        rate_limiter.enforce_each(("waitlist.ip", client_ip), ("waitlist.address", email.lower()))
        try:
            with db:
                waitlist.join(db, event_id, email, now_s())
        except Conflict as exc:
            html = _event_html(request, db, event_id, current_user, form=data, errors=[exc.detail])
            return personal_page(html, status_code=exc.status_code)
        html = render(request, "shop/waitlist_joined.html", email=email, event_id=event_id)
        return personal_page(html)

    @post("/events/{event_id:int}/reserve", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def reserve(
        self,
        *,
        request: Request[Any, Any, Any],
        event_id: FromPath[int],
        data: FormData,
        db: Db,
        settings: Settings,
        rate_limiter: Limiter,
        client_ip: ClientIp,
        current_user: CurrentUser,
    ) -> Response[Any]:
        email, name, voucher = text(data, "email"), text(data, "name"), text(data, "voucher")
        lines, problems = _chosen_lines(data)
        if not email:
            problems.append("Enter your email address: your tickets are sent there.")
        if not name:
            problems.append("Enter your name: it is printed on the tickets.")
        if problems:
            return personal_page(
                _event_html(request, db, event_id, current_user, form=data, errors=problems),
                status_code=400,
            )
        # Holding takes seats off sale, so that is where bots are slowed down (as the API).
        rate_limiter.enforce_each(("checkout.ip", client_ip), ("checkout.account", email.lower()))
        try:
            with db:
                token = holds.create_hold(
                    db,
                    event_id=event_id,
                    lines=lines,
                    email=email,
                    name=name,
                    hold_seconds=settings.hold_seconds,
                    now=now_s(),
                    voucher=voucher or None,
                    user_id=None if current_user is None else current_user.id,
                ).token
        except RateLimited:
            raise
        except CloudError as exc:
            if exc.status_code >= 500:
                raise
            # Shown on the event's page with what the buyer typed; an unknown or unpublished
            # event has no page, and answers 404 from there.
            return _reserve_failed(request, db, event_id, current_user, form=data, exc=exc)
        response: Response[Any] = Redirect(f"/cart/{token}", status_code=303)
        response.set_cookie(cart_cookie(settings, token))
        return response


def _listing(
    request: Request[Any, Any, Any],
    *,
    db: Session,
    cache: Cache,
    user: User | None,
    q: str,
    page_number: int,
) -> Response[Any]:
    query = " ".join(q.split())

    def produce() -> bytes:
        with db:
            found = published_events(
                db,
                query=query or None,
                now=now_s(),
                limit=PAGE_SIZE + 1,
                offset=(page_number - 1) * PAGE_SIZE,
            )
        return render(
            request,
            "shop/listing.html",
            events=found[:PAGE_SIZE],
            query=query,
            page_number=page_number,
            has_next=len(found) > PAGE_SIZE,
        ).encode()

    if user is None:
        key = listing_key(query, page_number)
        return public_page(cached(cache, key, PUBLIC_PAGE_TTL_S, produce), shared=True)
    return personal_page(produce().decode())


def _reserve_failed(
    request: Request[Any, Any, Any],
    db: Session,
    event_id: int,
    user: User | None,
    *,
    form: dict[str, Any],
    exc: CloudError,
) -> Response[str]:
    message = exc.detail[:1].upper() + exc.detail[1:]
    html = _event_html(request, db, event_id, user, form=form, errors=[message])
    return personal_page(html, status_code=exc.status_code)


def _chosen_lines(form: dict[str, Any]) -> tuple[list[holds.HoldLine], list[str]]:
    lines: list[holds.HoldLine] = []
    problems: list[str] = []
    for key in sorted(form):
        if not key.startswith("qty_"):
            continue
        type_id, quantity = whole_number(key[4:]), whole_number(text(form, key) or "0")
        if type_id is None or quantity is None:
            problems.append("Choose how many tickets you want from the lists.")
            continue
        if quantity > 0:
            lines.append(holds.HoldLine(type_id, quantity))
    if not lines and not problems:
        problems.append("Choose at least one ticket.")
    return lines, problems


def _event_html(
    request: Request[Any, Any, Any],
    db: Session,
    event_id: int,
    user: User | None,
    *,
    shared: bool = False,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
) -> str:
    now = now_s()
    with db:
        event = event_page(db, event_id, now)
    if event is None:
        raise NotFound("There is no such event, or it is not on sale.")
    values = {
        "name": "" if user is None else user.name,
        "email": "" if user is None else user.email,
        "voucher": "",
    }
    chosen: dict[int, int] = {}
    if form is not None:
        values.update({key: text(form, key) for key in values})
        for kind in event.ticket_types:
            chosen[kind.type_id] = whole_number(text(form, f"qty_{kind.type_id}")) or 0
    return render(
        request,
        "shop/event.html",
        event=event,
        offers=_offers(event, now),
        chosen=chosen,
        values=values,
        errors=errors or [],
        csrf_placeholder=CSRF_PLACEHOLDER if shared else None,
    )


@dataclass(frozen=True, slots=True)
class Offer:
    """What the event page offers of one ticket type: the most a buyer may pick now, and
    otherwise why not ("sold_out", "not_yet", "ended")."""

    most: int
    state: str


def _offers(event: EventPage, now: int) -> dict[int, Offer]:
    offers: dict[int, Offer] = {}
    moment = datetime.fromtimestamp(now, UTC)
    for kind in event.ticket_types:
        if not kind.on_sale:
            starts = kind.sale_starts_at
            state = "not_yet" if starts is not None and starts > moment else "ended"
            offers[kind.type_id] = Offer(0, state)
        elif kind.available <= 0:
            offers[kind.type_id] = Offer(0, "sold_out")
        else:
            most = min(kind.per_order_limit, kind.available, MAX_CHOICE)
            offers[kind.type_id] = Offer(most, "open")
    return offers
