from __future__ import annotations

from collections.abc import Sequence

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from sqlalchemy.orm import Session

from cloud.access import Access
from cloud.addresses import email_address
from cloud.asks import service as asks
from cloud.clock import now_s
from cloud.deps import ClientIp, Db, Limiter, OrganizerId, Settings, Shop
from cloud.orders import giving, holds, lost_tickets, service, waitlist
from cloud.orders.checkout import Line, checkout, order_lines, order_tickets
from cloud.orders.models import Hold, HoldState, Order
from cloud.orders.payments import PaymentStart, PaymentState, provider_for, provider_lookup
from cloud.orders.schemas import (
    GiveIn,
    HoldIn,
    HoldOut,
    LineOut,
    OrderEmailIn,
    OrderOut,
    OrderSummary,
    OrderTicketOut,
    ReceivedTicketOut,
    TicketsAgainIn,
    TicketsAgainOut,
    WaitlistIn,
    WaitlistOut,
)
from cloud.settings import CloudSettings
from cloud.tickets.service import SignedTicket
from cloud.timestamps import to_datetime


def _hold_out(db: Session, hold: Hold, token: str) -> HoldOut:
    items = holds.hold_items(db, hold.id)
    # Expired the moment its time runs out, whether or not the worker has released it yet.
    ran_out = hold.state == HoldState.ACTIVE and hold.expires_at <= now_s()
    return HoldOut(
        hold_token=token,
        event_id=hold.event_id,
        state=HoldState.EXPIRED if ran_out else hold.state,
        expires_at=to_datetime(hold.expires_at),
        items=[
            LineOut(
                type_id=item.type_id,
                name=kind.name,
                quantity=item.quantity,
                unit_price=item.unit_price,
            )
            for item, kind in items
        ],
        total=sum(item.quantity * item.unit_price for item, _ in items),
        currency=items[0][1].currency if items else "",
        voucher=holds.voucher_code(db, hold),
        discount=hold.discount,
    )


def _order_out(db: Session, order: Order) -> OrderOut:
    tickets = giving.buyers_tickets(order_tickets(db, order.id))
    return _order_view(order, order_lines(db, order.id), tickets, None)


def _ticket_out(shown: SignedTicket | giving.BuyersTicket) -> OrderTicketOut:
    if isinstance(shown, SignedTicket):  # just issued by checkout
        return OrderTicketOut(
            ticket_id=shown.ticket_ref,
            token=shown.token,
            type_id=shown.type_id,
            holder_name=shown.holder_name,
            revoked=False,
        )
    ticket = shown.ticket
    return OrderTicketOut(
        ticket_id=ticket.ticket_ref,
        token=None if shown.given else ticket.token,
        type_id=ticket.type_id,
        holder_name=ticket.holder_name,
        revoked=shown.revoked,
        given_to=ticket.holder_email if shown.given else None,
    )


def _received_out(db: Session, held: giving.Received) -> ReceivedTicketOut:
    ticket, event = held.ticket, held.event
    view = giving.holders_view(db, held, now_s())
    return ReceivedTicketOut(
        ticket_id=ticket.ticket_ref,
        token=view.token,
        type_id=ticket.type_id,
        type_name=view.type_name,
        holder_name=ticket.holder_name,
        given_by=held.giver_name,
        event_id=event.id,
        event_name=event.name,
        starts_at=to_datetime(event.starts_at),
        venue_name=view.venue.name,
        revoked=view.revoked,
        can_give=view.can_give,
        given_to=None if view.given_on is None else view.given_on.holder_email,
    )


def _order_view(
    order: Order,
    lines: Sequence[Line],
    tickets: Sequence[SignedTicket | giving.BuyersTicket],
    start: PaymentStart | None,
) -> OrderOut:
    pending = start is not None and start.state == PaymentState.PENDING
    return OrderOut(
        reference=order.reference,
        event_id=order.event_id,
        status=order.status,
        buyer_email=order.buyer_email,
        buyer_name=order.buyer_name,
        total=order.total,
        currency=order.currency,
        payment_provider=order.payment_provider,
        lines=[
            LineOut(
                type_id=line.type_id,
                name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in lines
        ],
        tickets=[_ticket_out(ticket) for ticket in tickets],
        created_at=to_datetime(order.created_at),
        paid_at=None if order.paid_at is None else to_datetime(order.paid_at),
        client_secret=start.client_secret if pending and start is not None else None,
    )


class ShopController(Controller):
    """The buyer's side: hold tickets, check out, read the order. A buyer is known only by
    the token the hold returned; without it no hold or order can be reached.

    Each handler closes its session (``with db``) in its own worker thread, handing the
    connection back to the pool at once, before its answer is encoded."""

    path = "/api/v1/shop"
    tags = ["shop"]

    @post("/holds", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def hold(self, data: JSONBody[HoldIn], shop: Shop) -> HoldOut:
        lines = [holds.HoldLine(item.type_id, item.quantity) for item in data.items]
        now = now_s()
        # After a sell-out most buyers keep asking: they are answered before anything else,
        # as nothing is there for a bot to take.
        holds.refuse_if_known_sold_out(shop.db, data.event_id, lines, now)
        # Holding is what takes seats off sale, so that is where bots are slowed down.
        shop.rate_limiter.enforce_each(
            ("checkout.ip", shop.client_ip),
            ("checkout.account", data.buyer_email.strip().lower()),
        )
        with shop.db:
            new = holds.create_hold(
                shop.db,
                event_id=data.event_id,
                lines=lines,
                email=data.buyer_email,
                name=data.buyer_name,
                hold_seconds=shop.settings.hold_seconds,
                now=now,
                voucher=data.voucher,
            )
        return HoldOut(
            hold_token=new.token,
            event_id=new.event_id,
            state=HoldState.ACTIVE,
            expires_at=to_datetime(new.expires_at),
            items=[
                LineOut(
                    type_id=line.type_id,
                    name=line.name,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                )
                for line in new.lines
            ],
            total=new.total,
            currency=new.currency,
            voucher=new.voucher,
            discount=new.discount,
        )

    @get("/holds/{token:str}", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def read_hold(self, token: FromPath[str], db: Db) -> HoldOut:
        with db:
            return _hold_out(db, holds.hold_by_token(db, token), token)

    @post("/holds/{token:str}/checkout", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def checkout(self, token: FromPath[str], shop: Shop) -> OrderOut:
        settings = shop.settings
        with shop.db:
            done = checkout(
                shop.db,
                settings.master_key,
                token,
                provider_for(settings),
                now_s(),
                public_url=settings.public_url,
            )
        return _order_view(done.order, done.lines, done.tickets, done.start)

    @get("/orders/{token:str}", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def order(self, token: FromPath[str], db: Db) -> OrderOut:
        with db:
            return _order_out(db, service.order_for_buyer(db, token))

    @post(
        "/orders/{token:str}/tickets/{ticket_id:str}/give",
        status_code=200,
        sync_to_thread=True,
        opt={"access": Access.CAPABILITY},
    )
    def give(
        self,
        token: FromPath[str],
        ticket_id: FromPath[str],
        data: JSONBody[GiveIn],
        db: Db,
        settings: Settings,
    ) -> OrderOut:
        """Give one ticket of the paid order to someone else (cloud.orders.giving): its code
        is replaced by a new one, emailed to them; the buyer's copy stops working. Final."""
        with db:
            order = service.order_for_buyer(db, token)
            giving.give_ticket(
                db,
                order,
                ticket_id,
                name=data.name,
                email=data.email,
                master_key=settings.master_key,
                public_url=settings.public_url,
                now=now_s(),
            )
            return _order_out(db, order)

    @get("/tickets/{token:str}", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def received(self, token: FromPath[str], db: Db) -> ReceivedTicketOut:
        """A ticket given to someone, by the secret link its holder was emailed."""
        with db:
            return _received_out(db, giving.received(db, token))

    @post(
        "/tickets/{token:str}/give",
        status_code=200,
        sync_to_thread=True,
        opt={"access": Access.CAPABILITY},
    )
    def give_on(
        self, token: FromPath[str], data: JSONBody[GiveIn], db: Db, settings: Settings
    ) -> ReceivedTicketOut:
        """The holder of a given ticket gives it on to someone else, as its buyer gave it to
        them (cloud.orders.giving); answers their ticket, now given on."""
        with db:
            giving.give_on(
                db,
                token,
                name=data.name,
                email=data.email,
                master_key=settings.master_key,
                public_url=settings.public_url,
                now=now_s(),
            )
            return _received_out(db, giving.received(db, token))

    @post(
        "/events/{event_id:int}/waitlist",
        status_code=202,
        sync_to_thread=True,
        opt={"access": Access.PUBLIC},
    )
    def join_waitlist(
        self,
        event_id: FromPath[int],
        data: JSONBody[WaitlistIn],
        db: Db,
        rate_limiter: Limiter,
        client_ip: ClientIp,
    ) -> WaitlistOut:
        """Put the address on the waiting list of an event with no tickets to buy now: it is
        emailed once when seats can be bought again (cloud.orders.waitlist). 409 when they
        can be bought now."""
        email_address(data.email)
        rate_limiter.enforce_each(
            ("waitlist.ip", client_ip), ("waitlist.address", data.email.strip().lower())
        )
        waitlist.join(db, event_id, data.email, now_s())
        return WaitlistOut(
            detail=f"{data.email.strip()} is on the waiting list; it is emailed once if "
            "tickets can be bought again."
        )

    @post("/tickets-again", status_code=202, sync_to_thread=True, opt={"access": Access.PUBLIC})
    def tickets_again(
        self,
        data: JSONBody[TicketsAgainIn],
        state: State,
        settings: Settings,
        rate_limiter: Limiter,
        client_ip: ClientIp,
    ) -> Response[TicketsAgainOut]:
        """Email the tickets bought with this address again, for upcoming events. The same
        answer, as fast, whether or not it bought any: the emails are queued after it."""
        email_address(data.email)
        rate_limiter.enforce_each(
            ("tickets_again.ip", client_ip),
            ("tickets_again.address", data.email.strip().lower()),
        )
        return Response(
            TicketsAgainOut(detail=lost_tickets.answer(data.email)),
            status_code=202,
            background=asks.answer_later(
                state.session_factory, settings, asks.TICKETS_AGAIN, data.email
            ),
        )


class EventOrdersController(Controller):
    """The organizer's side: watch the sale, cancel or refund an order."""

    path = "/api/v1/events/{event_id:int}/orders"
    tags = ["orders"]

    @get("/", sync_to_thread=True)
    def index(
        self, event_id: FromPath[int], db: Db, organizer_id: OrganizerId
    ) -> list[OrderSummary]:
        return [
            OrderSummary(
                reference=order.reference,
                status=order.status,
                buyer_email=order.buyer_email,
                buyer_name=order.buyer_name,
                total=order.total,
                currency=order.currency,
                tickets=tickets,
                created_at=to_datetime(order.created_at),
            )
            for order, tickets in service.event_orders(db, organizer_id, event_id)
        ]

    @post("/{reference:str}/cancel", status_code=200, sync_to_thread=True)
    def cancel(
        self,
        event_id: FromPath[int],
        reference: FromPath[str],
        db: Db,
        organizer_id: OrganizerId,
        settings: Settings,
    ) -> OrderOut:
        return _give_up(db, settings, organizer_id, event_id, reference, refund=False)

    @post("/{reference:str}/refund", status_code=200, sync_to_thread=True)
    def refund(
        self,
        event_id: FromPath[int],
        reference: FromPath[str],
        db: Db,
        organizer_id: OrganizerId,
        settings: Settings,
    ) -> OrderOut:
        return _give_up(db, settings, organizer_id, event_id, reference, refund=True)

    @post("/{reference:str}/email", status_code=202, sync_to_thread=True)
    def email(
        self,
        *,
        event_id: FromPath[int],
        reference: FromPath[str],
        data: JSONBody[OrderEmailIn],
        db: Db,
        organizer_id: OrganizerId,
        settings: Settings,
    ) -> OrderOut:
        """Email a paid order's valid tickets to its buyer again, to a corrected address
        when ``email`` is given (the order then carries it)."""
        order = service.email_order_for_organizer(
            db,
            organizer_id,
            event_id,
            reference,
            to=data.email,
            now=now_s(),
            master_key=settings.master_key,
            public_url=settings.public_url,
        )
        return _order_out(db, order)


def _give_up(
    db: Session,
    settings: CloudSettings,
    organizer_id: int,
    event_id: int,
    reference: str,
    *,
    refund: bool,
) -> OrderOut:
    order = service.cancel_order(
        db,
        organizer_id,
        event_id,
        reference,
        refund=refund,
        providers=provider_lookup(settings),
        now=now_s(),
    )
    return _order_out(db, order)
