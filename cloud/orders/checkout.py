"""Checkout: a live hold becomes an order, and a paid order gets its signed tickets.

Every buyer of an on-sale who got seats passes here once, so a checkout is a handful of
plain statements on rows that only it touches, and the rows it shares with other buyers come
last, one short update each before the commit. Locks are taken in this order, the same as in
cloud.orders.holds and cloud.orders.service, so no two transactions can deadlock:

1. the hold's row (a second checkout of the same hold waits, then finds it checked out),
   or, when a webhook confirms a payment, the order's row;
2. the ticket types' stock rows, in ascending id order (cloud.events.stock), changed last.

Everything a checkout writes goes to PostgreSQL with the COMMIT in one round trip
(cloud.events.stock.committed_together), so rows refer to each other by their unique keys
(the order's reference, the tickets' refs), never by ids read back.

Nothing of the event as a whole is locked: the new tickets are numbered for the venues'
manifests by the manifest reader (cloud.tickets.changes).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Integer, String, bindparam, insert, select, update
from sqlalchemy.orm import Session

from cloud.errors import NotFound
from cloud.events.models import Event, TicketType
from cloud.events.signing import current_key_columns, private_key
from cloud.events.stock import committed_together, sold_held_seats_change
from cloud.notifications.outbox import enqueue_email
from cloud.orders import links
from cloud.orders.giving import BuyersTicket, buyers_tickets
from cloud.orders.holds import HoldExpired, token_digest
from cloud.orders.models import Hold, HoldItem, HoldState, Order, OrderLine, OrderStatus
from cloud.orders.models import OrderTicket as OrderTicketRow
from cloud.orders.payments import FREE, PaymentProvider, PaymentStart, PaymentState
from cloud.tickets.models import Ticket
from cloud.tickets.service import SignedTicket, add_signed_tickets
from cloud.timestamps import to_datetime
from cloud.venues import zones
from cloud.venues.models import Venue

# No 0/O or 1/I: people read references aloud at the gate and over the phone.
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_REFERENCE_LENGTH = 10

# Built once: every buyer who got seats runs them (see cloud.events.stock).
_HOLDS = Hold.__table__
_ORDERS = Order.__table__
# The hold, locked, with its event and one row per line (every hold has at least one).
_LOCK_HOLD = (
    select(
        Hold.id,
        Hold.token_hash,
        Hold.event_id,
        Hold.user_id,
        Hold.buyer_email,
        Hold.buyer_name,
        Hold.state,
        Hold.expires_at,
        Event.name.label("event_name"),
        Event.starts_at.label("event_starts_at"),
        Venue.timezone,
        HoldItem.type_id,
        TicketType.name.label("type_name"),
        HoldItem.quantity,
        HoldItem.unit_price,
        TicketType.currency,
        *current_key_columns(Hold.event_id),
    )
    .join(Event, Event.id == Hold.event_id)
    .join(Venue, Venue.id == Event.venue_id)
    .join(HoldItem, HoldItem.hold_id == Hold.id)
    .join(TicketType, TicketType.id == HoldItem.type_id)
    .where(Hold.token_hash == bindparam("token_hash", type_=String))
    .order_by(HoldItem.type_id)
    .with_for_update(of=Hold)
)
_CHECKED_OUT = (
    update(_HOLDS)
    .where(_HOLDS.c.id == bindparam("hold_id", type_=Integer))
    .values(state=HoldState.CHECKED_OUT)
)
_INSERT_ORDER = insert(_ORDERS).inline()
# The order by its reference and the tickets by theirs, in the statements that write them.
_THE_ORDER = (
    select(_ORDERS.c.id)
    .where(_ORDERS.c.reference == bindparam("reference", type_=String))
    .scalar_subquery()
)
_INSERT_LINES = insert(OrderLine.__table__).values(order_id=_THE_ORDER).inline()
_INSERT_ORDER_TICKETS = (
    insert(OrderTicketRow.__table__)
    .values(
        order_id=_THE_ORDER,
        ticket_id=select(Ticket.id)
        .where(Ticket.ticket_ref == bindparam("ticket_ref", type_=String))
        .scalar_subquery(),
    )
    .inline()
)
_EVENT_NOTE = (
    select(Event.name, Event.starts_at, Venue.timezone, *current_key_columns(Event.id))
    .join(Venue, Venue.id == Event.venue_id)
    .where(Event.id == bindparam("event_id", type_=Integer))
)


def new_reference() -> str:
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))


@dataclass(frozen=True, slots=True)
class Line:
    """An order line as the buyer sees it."""

    type_id: int
    name: str
    quantity: int
    unit_price: int


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    """The hold's order (a new one is a copy of the row just written, outside the session),
    the payment the buyer has to finish if any, and what the order holds."""

    order: Order
    start: PaymentStart | None
    lines: tuple[Line, ...]
    # Just issued, or, for a hold checked out before, as the buyer's pages show them.
    tickets: Sequence[SignedTicket | BuyersTicket]


def checkout(
    session: Session,
    master_key: bytes,
    token: str,
    provider: PaymentProvider,
    now: int,
    *,
    public_url: str | None = None,
) -> CheckoutResult:
    """The order of the hold with this token, creating it from a live hold. An order that
    costs nothing is paid at once; otherwise ``provider`` starts the payment and, if it
    takes the money at once, the tickets are issued in the same transaction. Checking out
    the same hold again returns the same order, and the same payment while it is unpaid.
    With ``public_url`` the confirmation email links to the order's page."""
    connection = session.connection()
    items = connection.execute(_LOCK_HOLD, {"token_hash": token_digest(token)}).all()
    if not items:
        raise NotFound("no hold with this token; it may belong to another buyer")
    hold = items[0]
    if hold.state == HoldState.CHECKED_OUT:
        return _again(session, hold.id, provider)
    if hold.state == HoldState.EXPIRED or hold.expires_at <= now:
        session.rollback()
        raise HoldExpired("this hold has expired and its tickets went back on sale; hold again")
    lines = tuple(Line(i.type_id, i.type_name, i.quantity, i.unit_price) for i in items)
    total = sum(line.quantity * line.unit_price for line in lines)
    reference = new_reference()
    order = Order(
        reference=reference,
        token_hash=hold.token_hash,
        event_id=hold.event_id,
        hold_id=hold.id,
        user_id=hold.user_id,
        buyer_email=hold.buyer_email,
        buyer_name=hold.buyer_name,
        status=OrderStatus.PENDING,
        total=total,
        currency=items[0].currency,
        payment_provider=FREE if total == 0 else provider.name,
        payment_ref=None,
        created_at=now,
        paid_at=None,
        cancelled_at=None,
        sealed_token=links.seal_token(master_key, reference, token),
    )
    start = None
    if total > 0:
        # A refusal (PaymentProviderError) leaves the hold live: the buyer may try again.
        start = provider.start(order)
        order.payment_ref = start.payment_ref
    paid = start is None or start.state == PaymentState.PAID
    if paid:
        order.status, order.paid_at = OrderStatus.PAID, now
    tickets: list[SignedTicket] = []
    with committed_together(session) as connection:
        connection.execute(_CHECKED_OUT, {"hold_id": hold.id})
        connection.execute(_INSERT_ORDER, _columns(order))
        connection.execute(
            _INSERT_LINES,
            [
                {
                    "reference": reference,
                    "type_id": line.type_id,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                }
                for line in lines
            ],
        )
        if paid:
            event = EventNote(hold.event_name, hold.event_starts_at, hold.timezone)
            key = private_key(master_key, hold.event_id, hold.key_id, hold.sealed_key)
            tickets = issue_order_tickets(
                session, master_key, order, lines, (event, key), public_url=public_url
            )
    return CheckoutResult(order, start, lines, tickets)


def _columns(order: Order) -> dict[str, object]:
    return {c.key: getattr(order, c.key) for c in _ORDERS.columns if c.key != "id"}


def _again(session: Session, hold_id: int, provider: PaymentProvider) -> CheckoutResult:
    """A hold checked out before: its order as it stands (the buyer came back, another tab)."""
    order = session.scalar(select(Order).where(Order.hold_id == hold_id))
    if order is None:
        raise NotFound("this hold has no order")
    lines = order_lines(session, order.id)
    tickets = buyers_tickets(order_tickets(session, order.id))
    session.commit()
    start = None
    if order.status == OrderStatus.PENDING and order.payment_provider == provider.name:
        # Back to pay: the same payment again.
        start = provider.resume(order)
    return CheckoutResult(order, start, lines, tickets)


@dataclass(frozen=True, slots=True)
class EventNote:
    """What the confirmation email says of the event."""

    name: str
    starts_at: int
    # The venue's time zone, which the start is written in.
    timezone: str


def issue_order_tickets(
    session: Session,
    master_key: bytes,
    order: Order,
    lines: Sequence[Line],
    event: tuple[EventNote, tuple[int, Ed25519PrivateKey]] | None = None,
    *,
    public_url: str | None = None,
) -> list[SignedTicket]:
    """Issue a paid order's tickets in the caller's transaction and queue them to the buyer
    by email (linking to the order's page when ``public_url`` is given), then move its seats
    from held to sold: the shared stock rows last, each locked for one update and the commit.
    None of it waits for an answer (cloud.events.stock.committed_together). ``event``, what
    the email says of the event and the key its tickets are signed with (the event's
    current one), is read when not given."""
    if event is None:
        row = session.connection().execute(_EVENT_NOTE, {"event_id": order.event_id}).one()
        note = EventNote(row.name, row.starts_at, row.timezone)
        key = private_key(master_key, order.event_id, row.key_id, row.sealed_key)
    else:
        note, key = event
    tickets = add_signed_tickets(
        session,
        key,
        order.event_id,
        [(line.type_id, line.quantity) for line in lines],
        holder_name=order.buyer_name,
        holder_email=order.buyer_email,
        order_ref=order.reference,
    )
    connection = session.connection()
    connection.execute(
        _INSERT_ORDER_TICKETS,
        [{"reference": order.reference, "ticket_ref": t.ticket_ref} for t in tickets],
    )
    email_tickets(
        session,
        order,
        note,
        tickets,
        {line.type_id: line.name for line in lines},
        # Sent if and only if the order is paid, once however often the payment is confirmed.
        idempotency_key=f"order-confirmation:{order.reference}",
        order_url=links.order_url(public_url, master_key, order),
    )
    # The order's own changes (a confirmed payment) before the shared rows, as ever.
    session.flush()
    for line in lines:
        connection.execute(*sold_held_seats_change(line.type_id, line.quantity))
    return tickets


def email_tickets(
    session: Session,
    order: Order,
    event: EventNote,
    tickets: Sequence[SignedTicket | Ticket],
    type_names: dict[int, str],
    *,
    idempotency_key: str,
    order_url: str | None = None,
    again: bool = False,
) -> None:
    """Queue the order's ``tickets`` (their QR codes) by email to its buyer, in the caller's
    transaction: sent only if it commits, once per ``idempotency_key``, with a link to the
    order's page if there is an ``order_url`` (cloud.orders.links). ``again`` says the buyer
    asked for them again (cloud.orders.lost_tickets)."""
    context: dict[str, Any] = {
        "order_ref": order.reference,
        "holder_name": order.buyer_name,
        "event_name": event.name,
        "event_starts": zones.wall_clock(to_datetime(event.starts_at), event.timezone),
        "tickets": [
            {
                "ticket_id": ticket.ticket_ref,
                "type_name": type_names.get(ticket.type_id, ""),
                "token": ticket.token,
            }
            for ticket in tickets
        ],
    }
    if order_url is not None:
        context["order_url"] = order_url
    if again:
        context["again"] = True
    enqueue_email(
        session,
        to=order.buyer_email,
        template="order_confirmation",
        context=context,
        idempotency_key=idempotency_key,
    )


def order_lines(session: Session, order_id: int) -> tuple[Line, ...]:
    rows = session.execute(
        select(OrderLine.type_id, TicketType.name, OrderLine.quantity, OrderLine.unit_price)
        .join(TicketType, TicketType.id == OrderLine.type_id)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.type_id)
    ).all()
    return tuple(Line(*row) for row in rows)


def order_tickets(session: Session, order_id: int) -> Sequence[Ticket]:
    return session.scalars(
        select(Ticket)
        .join(OrderTicketRow, OrderTicketRow.ticket_id == Ticket.id)
        .where(OrderTicketRow.order_id == order_id)
        .order_by(Ticket.id)
    ).all()
