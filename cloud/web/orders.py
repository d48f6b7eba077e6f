"""The buyer's order: its page with a QR code per ticket, the printable PDF, its event as a
calendar entry, emailing its tickets again, giving a ticket to someone else, the pay page for
card payments, and "Find my tickets", which emails the tickets bought with an address again.

An order opens with its unguessable token (the one its hold was made with, kept in the URL
the buyer was sent to), or for the logged-in account that bought it, by its reference under
``/account/orders/``. Nobody else can tell whether an order exists: both answer 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy.orm import Session

from cloud.access import Access
from cloud.addresses import email_address
from cloud.asks import service as asks
from cloud.clock import now_s
from cloud.deps import ClientIp, Db, Limiter, Settings
from cloud.errors import CloudError, Conflict, InvalidInput, NotFound
from cloud.orders import giving, lost_tickets, service
from cloud.orders.models import Order, OrderStatus
from cloud.orders.payments import STRIPE
from cloud.settings import CloudSettings
from cloud.tickets.models import Ticket
from cloud.timestamps import to_datetime
from cloud.web.calendar import Entry, calendar_response
from cloud.web.deps import CurrentUser, require_user
from cloud.web.forms import FormData, sentence, text
from cloud.web.pdf import PrintedOrder, PrintedTicket, tickets_pdf
from cloud.web.qr import qr_svg
from cloud.web.queries import event_with_venue, owned_order, type_names
from cloud.web.responses import PRIVATE, secret_page
from cloud.web.stripe_checkout import intent_state, pay_with
from cloud.web.templating import csrf_token_of, render

# How often the page of an order waiting for its payment's confirmation looks again.
REFRESH_S = 3


class OrderPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/orders/{token:str}", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def order(
        self,
        *,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        db: Db,
        current_user: CurrentUser,
        emailed: FromQuery[bool] = False,
        given: FromQuery[str | None] = None,
    ) -> Response[str]:
        del current_user  # taken for the nav
        with db:
            order = service.order_for_buyer(db, token)
            base = f"/orders/{token}"
            return secret_page(
                _order_html(
                    request, db, order, base, pay_url=f"{base}/pay", emailed=emailed, given=given
                )
            )

    @post("/orders/{token:str}/email", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def email_again(
        self,
        token: FromPath[str],
        db: Db,
        settings: Settings,
        rate_limiter: Limiter,
        client_ip: ClientIp,
    ) -> Redirect:
        """Email the order's valid tickets to its buyer again ("Email me these tickets")."""
        rate_limiter.enforce_each(("tickets_again.ip", client_ip))
        with db:
            _email_again(db, service.order_for_buyer(db, token), settings)
        return Redirect(f"/orders/{token}?emailed=true", status_code=303)

    @get("/tickets/find", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def find_form(
        self, request: Request[Any, Any, Any], current_user: CurrentUser
    ) -> Response[str]:
        del current_user  # taken for the nav
        return _find_page(request, email="", sent=None, errors=[])

    @post("/tickets/find", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def find(
        self,
        *,
        request: Request[Any, Any, Any],
        data: FormData,
        state: State,
        settings: Settings,
        rate_limiter: Limiter,
        client_ip: ClientIp,
        current_user: CurrentUser,
    ) -> Response[str]:
        """Email the tickets bought with the address again (cloud.orders.lost_tickets), once
        the page has gone."""
        del current_user
        email = text(data, "email")
        try:
            email_address(email)
        except InvalidInput:
            error = "Enter the email address you bought the tickets with, like name@example.org."
            return _find_page(request, email=email, sent=None, errors=[error], status_code=400)
        rate_limiter.enforce_each(
            ("tickets_again.ip", client_ip), ("tickets_again.address", email.lower())
        )
        page = _find_page(request, email=email, sent=lost_tickets.answer(email), errors=[])
        page.background = asks.answer_later(
            state.session_factory, settings, asks.TICKETS_AGAIN, email
        )
        return page

    @get("/account/orders/{reference:str}", sync_to_thread=True, opt={"access": Access.OWN_ORDER})
    def owned(
        self,
        *,
        request: Request[Any, Any, Any],
        reference: FromPath[str],
        db: Db,
        current_user: CurrentUser,
        emailed: FromQuery[bool] = False,
        given: FromQuery[str | None] = None,
    ) -> Response[str]:
        user = require_user(current_user, request)
        with db:
            order = _owned(db, user.id, reference)
            base = f"/account/orders/{reference}"
            return secret_page(_order_html(request, db, order, base, emailed=emailed, given=given))

    @post(
        "/account/orders/{reference:str}/email",
        sync_to_thread=True,
        opt={"access": Access.OWN_ORDER},
    )
    def owned_email_again(
        self,
        *,
        request: Request[Any, Any, Any],
        reference: FromPath[str],
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
        rate_limiter: Limiter,
        client_ip: ClientIp,
    ) -> Redirect:
        user = require_user(current_user, request)
        rate_limiter.enforce_each(("tickets_again.ip", client_ip))
        with db:
            _email_again(db, _owned(db, user.id, reference), settings)
        return Redirect(f"/account/orders/{reference}?emailed=true", status_code=303)

    @post(
        "/orders/{token:str}/tickets/{ticket_id:str}/give",
        sync_to_thread=True,
        opt={"access": Access.CAPABILITY},
    )
    def give(
        self,
        *,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        ticket_id: FromPath[str],
        data: FormData,
        db: Db,
        settings: Settings,
    ) -> Response[Any]:
        """Give one ticket to someone else (cloud.orders.giving)."""
        base = f"/orders/{token}"
        with db:
            order = service.order_for_buyer(db, token)
            return _give(
                request,
                db,
                order,
                ticket_id,
                data,
                settings=settings,
                base_url=base,
                pay_url=f"{base}/pay",
            )

    @post(
        "/account/orders/{reference:str}/tickets/{ticket_id:str}/give",
        sync_to_thread=True,
        opt={"access": Access.OWN_ORDER},
    )
    def owned_give(
        self,
        *,
        request: Request[Any, Any, Any],
        reference: FromPath[str],
        ticket_id: FromPath[str],
        data: FormData,
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
    ) -> Response[Any]:
        user = require_user(current_user, request)
        with db:
            order = _owned(db, user.id, reference)
            base = f"/account/orders/{reference}"
            return _give(
                request, db, order, ticket_id, data, settings=settings, base_url=base, pay_url=None
            )

    @get("/orders/{token:str}/tickets.pdf", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def pdf(self, token: FromPath[str], db: Db) -> Response[bytes]:
        with db:
            return _pdf_response(db, service.order_for_buyer(db, token))

    @get(
        "/account/orders/{reference:str}/tickets.pdf",
        sync_to_thread=True,
        opt={"access": Access.OWN_ORDER},
    )
    def owned_pdf(
        self,
        request: Request[Any, Any, Any],
        reference: FromPath[str],
        db: Db,
        current_user: CurrentUser,
    ) -> Response[bytes]:
        user = require_user(current_user, request)
        with db:
            return _pdf_response(db, _owned(db, user.id, reference))

    @get("/orders/{token:str}/calendar.ics", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def calendar(self, token: FromPath[str], db: Db, settings: Settings) -> Response[bytes]:
        """The order's event as a calendar entry, whether or not it is still on sale."""
        with db:
            order = service.order_for_buyer(db, token)
            return event_calendar(db, order.event_id, settings.public_url)

    @get(
        "/account/orders/{reference:str}/calendar.ics",
        sync_to_thread=True,
        opt={"access": Access.OWN_ORDER},
    )
    def owned_calendar(
        self,
        request: Request[Any, Any, Any],
        reference: FromPath[str],
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
    ) -> Response[bytes]:
        user = require_user(current_user, request)
        with db:
            order = _owned(db, user.id, reference)
            return event_calendar(db, order.event_id, settings.public_url)

    @get("/orders/{token:str}/pay", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def pay_page(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        db: Db,
        settings: Settings,
        current_user: CurrentUser,
    ) -> Response[Any]:
        del current_user
        with db:
            order = service.order_for_buyer(db, token)
        done = f"/orders/{token}"
        if not _awaits_card(order):
            return Redirect(done, status_code=303)
        assert order.payment_ref is not None
        state = intent_state(settings, order.payment_ref)
        if state.status in ("succeeded", "processing", "requires_capture"):
            return Redirect(done, status_code=303)
        body = render(
            request,
            "shop/pay.html",
            order=order,
            client_secret=state.client_secret,
            publishable_key=settings.stripe_publishable_key or "",
            stripe_js_url=settings.stripe_js_url,
            confirm_url=f"/orders/{token}/pay",
            done_url=done,
            csrf_token=csrf_token_of(request),
            problem=state.problem if state.status == "requires_payment_method" else None,
        )
        return secret_page(body)

    @post("/orders/{token:str}/pay", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def pay(
        self, token: FromPath[str], data: FormData, db: Db, settings: Settings
    ) -> Response[dict[str, Any]]:
        """Called by the pay page's script with the card's payment method; answers JSON."""
        try:
            with db:
                order = service.order_for_buyer(db, token)
            if not _awaits_card(order):
                return _json({"status": "done"})
            assert order.payment_ref is not None
            state = pay_with(settings, order.payment_ref, text(data, "payment_method"))
        except CloudError as exc:
            return _json({"error": exc.detail}, exc.status_code)
        if state.problem is not None and state.status == "requires_payment_method":
            return _json({"error": state.problem}, 402)
        return _json({"status": state.status, "client_secret": state.client_secret})


def _json(body: dict[str, Any], status_code: int = 200) -> Response[dict[str, Any]]:
    return Response(body, status_code=status_code, media_type=MediaType.JSON, headers=PRIVATE)


def _awaits_card(order: Order) -> bool:
    return (
        order.status == OrderStatus.PENDING
        and order.payment_provider == STRIPE
        and order.payment_ref is not None
    )


def _find_page(
    request: Request[Any, Any, Any], status_code: int = 200, **context: Any
) -> Response[str]:
    # It shows the address typed in: kept by no cache.
    return secret_page(render(request, "shop/find_tickets.html", **context), status_code)


def _email_again(db: Session, order: Order, settings: CloudSettings) -> None:
    queued = lost_tickets.email_order_again(
        db, order, now_s(), master_key=settings.master_key, public_url=settings.public_url
    )
    if not queued:
        raise Conflict("This order has no valid tickets to email.")
    db.commit()


def _give(
    request: Request[Any, Any, Any],
    db: Session,
    order: Order,
    ticket_ref: str,
    data: FormData,
    *,
    settings: CloudSettings,
    base_url: str,
    pay_url: str | None,
) -> Response[Any]:
    """Give the ticket and go back to the order; a refusal shows the order page again with
    the reason beside the ticket's form, and what was typed."""
    values = {"name": text(data, "name"), "email": text(data, "email")}
    try:
        new = giving.give_ticket(
            db,
            order,
            ticket_ref,
            name=values["name"],
            email=values["email"],
            master_key=settings.master_key,
            public_url=settings.public_url,
            now=now_s(),
        )
    except (InvalidInput, Conflict) as exc:
        db.rollback()
        problem = {"ticket": ticket_ref, "message": sentence(exc.detail), "typed": values}
        body = _order_html(request, db, order, base_url, pay_url=pay_url, give_problem=problem)
        return secret_page(body, exc.status_code)
    # The page names the ticket now given, which has a reference of its own.
    return Redirect(f"{base_url}?given={new.ticket_ref}", status_code=303)


def _owned(db: Session, user_id: int, reference: str) -> Order:
    order = owned_order(db, user_id, reference)
    if order is None:
        raise NotFound("There is no order with this reference in your account.")
    return order


def _order_html(
    request: Request[Any, Any, Any],
    db: Session,
    order: Order,
    base_url: str,
    *,
    pay_url: str | None = None,
    emailed: bool = False,
    given: str | None = None,
    give_problem: dict[str, Any] | None = None,
) -> str:
    event, venue = event_with_venue(db, order.event_id)
    lines = service.order_lines(db, order.id)
    tickets = giving.buyers_tickets(service.order_tickets(db, order.id))
    names = type_names(
        db, [line.type_id for line in lines] + [shown.ticket.type_id for shown in tickets]
    )
    can_give = order.status == OrderStatus.PAID and event.allow_giving and event.starts_at > now_s()
    shown = []
    for number, held in enumerate(tickets, start=1):
        ticket = held.ticket
        kind = names.get(ticket.type_id, "")
        shown.append(
            {
                "ref": ticket.ticket_ref,
                "type_name": kind,
                "holder": ticket.holder_name,
                "revoked": held.revoked,
                "given_to": ticket.holder_email if held.given else None,
                # A revoked ticket shows no code at all: a picture of it must not look valid.
                # A given one has its holder's code, which only they hold.
                "qr": None
                if held.revoked or held.given
                else qr_svg(ticket.token, f"QR code of ticket {number}, {kind}"),
                "give_url": f"{base_url}/tickets/{ticket.ticket_ref}/give"
                if can_give and not held.revoked and not held.given
                else None,
            }
        )
    waiting = order.status == OrderStatus.PENDING
    return render(
        request,
        "shop/order.html",
        order=order,
        event=event,
        venue=venue,
        lines=[
            {
                "name": names.get(line.type_id, ""),
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "subtotal": line.quantity * line.unit_price,
            }
            for line in lines
        ],
        tickets=shown,
        valid_tickets=sum(1 for t in shown if t["qr"] is not None),
        given=given,
        give_problem=give_problem,
        pdf_url=f"{base_url}/tickets.pdf",
        calendar_url=f"{base_url}/calendar.ics",
        email_url=f"{base_url}/email",
        emailed=emailed,
        pay_url=pay_url if waiting and _awaits_card(order) else None,
        waiting=waiting,
        refresh_s=REFRESH_S,
    )


def event_calendar(db: Session, event_id: int, public_url: str) -> Response[bytes]:
    """An event bought for as a calendar entry, never cached (it is reached by a secret
    link), whether or not the event is still on sale."""
    event, venue = event_with_venue(db, event_id)
    entry = Entry(
        event_id=event.id,
        name=event.name,
        description=event.description,
        starts_at=to_datetime(event.starts_at),
        ends_at=to_datetime(event.ends_at),
        venue_name=venue.name,
        # The event's public page, never the order's own secret address.
        url=f"{public_url}/events/{event.id}",
    )
    return calendar_response(entry, datetime.now(UTC), PRIVATE)


def _pdf_response(db: Session, order: Order) -> Response[bytes]:
    if order.status != OrderStatus.PAID:
        raise NotFound("This order has no tickets to print yet.")
    tickets = giving.usable_by_buyer(service.order_tickets(db, order.id))
    if not tickets:
        raise NotFound("This order has no valid tickets to print.")
    return printed_tickets(db, order, tickets, f"tickets-{order.reference}.pdf")


def printed_tickets(
    db: Session, order: Order, tickets: Sequence[Ticket], filename: str
) -> Response[bytes]:
    """Valid ``tickets`` of ``order`` as a PDF download, one ticket a page."""
    event, venue = event_with_venue(db, order.event_id)
    names = type_names(db, [t.type_id for t in tickets])
    document = tickets_pdf(
        PrintedOrder(
            reference=order.reference,
            event_name=event.name,
            starts_at=to_datetime(event.starts_at),
            venue_name=venue.name,
            timezone=venue.timezone,
            tickets=[
                PrintedTicket(
                    token=t.token,
                    ticket_ref=t.ticket_ref,
                    type_name=names.get(t.type_id, ""),
                    holder_name=t.holder_name,
                )
                for t in tickets
            ],
        )
    )
    return Response(
        document,
        media_type="application/pdf",
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )
