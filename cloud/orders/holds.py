"""Holds: a buyer's seats, reserved for a limited time.

A hold takes its seats with one UPDATE per ticket type (cloud.events.stock), conditional or,
on PostgreSQL, guarded by the database's constraint and sent with the COMMIT, so buyers of
different types never wait for each other and no type is ever oversold. When its
time runs out the seats go back to stock: the worker releases expired holds, a buyer who
finds a type full releases that type's expired holds and tries once more, and every
availability read already leaves expired holds out.

A voucher code takes money off the eligible lines' unit prices and counts their tickets
against the voucher's uses (cloud.vouchers.service), after the seats are taken; an expired
hold gives its uses back when its seats go back on sale.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, bindparam, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.addresses import email_address
from cloud.errors import Conflict, InvalidInput, NotFound
from cloud.events.catalog import ON_SALE
from cloud.events.models import Event, TicketType
from cloud.events.service import sale_open
from cloud.events.stock import (
    SOLD_OUT,
    WITHIN_CAPACITY,
    available,
    committed_together,
    held_seats_change,
    hold_seats,
    refused_by,
    release_seats,
    seats_left,
    stale_holds,
)
from cloud.orders.models import Hold, HoldItem, HoldState
from cloud.orgs.models import Organisation
from cloud.timestamps import to_datetime
from cloud.vouchers.models import Voucher
from cloud.vouchers.service import (
    WITHIN_MAX_USES,
    Applicable,
    VoucherRefused,
    applicable,
    exhausted,
    give_back_uses,
    take_uses,
    uses_change,
)

MAX_TICKETS_PER_HOLD = 1000
RELEASE_BATCH = 500


class SoldOut(Conflict):
    """Fewer tickets of a type are left than the buyer asked for."""


class HoldExpired(Conflict):
    """The hold's time ran out before checkout; its seats went back on sale."""


@dataclass(frozen=True, slots=True)
class HoldLine:
    type_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class _Short:
    """What stopped an attempt: the voucher's uses, or seats (of ``type_id`` when known)."""

    voucher: bool
    type_id: int | None = None


@dataclass(frozen=True, slots=True)
class HeldLine:
    type_id: int
    name: str
    quantity: int
    unit_price: int


@dataclass(frozen=True, slots=True)
class NewHold:
    """A hold just made, as its buyer is shown it, with the token that reaches it (the hold
    keeps only its digest)."""

    token: str
    event_id: int
    expires_at: int
    lines: tuple[HeldLine, ...]
    currency: str
    voucher: str | None
    discount: int

    @property
    def total(self) -> int:
        return sum(line.quantity * line.unit_price for line in self.lines)


@dataclass(frozen=True, slots=True)
class _Type:
    """What a hold needs of a ticket type: its terms and its stock counters as read."""

    id: int
    name: str
    price: int
    currency: str
    per_order_limit: int
    sale_starts_at: int | None
    sale_ends_at: int | None
    capacity: int
    sold: int
    held: int


# Built once: every buyer of an on-sale runs these (see cloud.events.stock).
# A hold's items name it by its token's digest (unique), so the hold and its items are written
# without waiting for the hold's id (cloud.events.stock.committed_together).
_HOLDS = Hold.__table__
_INSERT_HOLD = insert(_HOLDS).inline()
_INSERT_ITEMS = (
    insert(HoldItem.__table__)
    .values(
        hold_id=select(_HOLDS.c.id)
        .where(_HOLDS.c.token_hash == bindparam("token_hash", type_=String))
        .scalar_subquery()
    )
    .inline()
)
_TYPES_ON_SALE = (
    select(
        TicketType.id,
        TicketType.name,
        TicketType.price,
        TicketType.currency,
        TicketType.per_order_limit,
        TicketType.sale_starts_at,
        TicketType.sale_ends_at,
        TicketType.capacity,
        TicketType.sold,
        TicketType.held,
        Event.published_at,
        Organisation.suspended_at,
    )
    .join(Event, Event.id == TicketType.event_id)
    .join(Organisation, Organisation.id == Event.organizer_id)
    # Every type of the event, not only the ones asked for: an event has a handful, and a
    # list parameter (IN) would make SQLAlchemy render the statement anew for each hold.
    .where(TicketType.event_id == bindparam("event_id", type_=Integer))
)


def token_digest(token: str) -> str:
    """Holds and orders keep only this digest of the buyer's token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def buyer_email(value: str) -> str:
    return email_address(value, "buyer_email")


def buyer_name(value: str) -> str:
    name = value.strip()
    if not name or not name.isprintable():
        raise InvalidInput("buyer_name must be printable text, e.g. 'Ada Lovelace'")
    return name


def create_hold(
    session: Session,
    *,
    event_id: int,
    lines: Sequence[HoldLine],
    email: str,
    name: str,
    hold_seconds: int,
    now: int,
    voucher: str | None = None,
    user_id: int | None = None,
) -> NewHold:
    """Reserve the seats of ``lines`` for ``hold_seconds``, at the prices the ``voucher``
    code gives, if any. Raises SoldOut when a type is short, VoucherRefused or
    VoucherExhausted when the code does not apply; nothing is held then.

    This is what every buyer of an on-sale calls, most of them after it sold out: the
    counters are read first and a buyer they cannot serve is refused without a write. The
    rest write the hold and take the seats in a handful of plain statements."""
    email, name = buyer_email(email), buyer_name(name)
    refuse_if_known_sold_out(session, event_id, lines, now)
    types = _checked_types(session, event_id, lines, now)
    wanted = {line.type_id: line.quantity for line in lines}
    prices = {type_id: row.price for type_id, row in types.items()}
    _refuse_if_short(session, types, wanted, event_id, now)
    token = secrets.token_urlsafe(32)
    hold = {
        "token_hash": token_digest(token),
        "event_id": event_id,
        "buyer_email": email,
        "buyer_name": name,
        "state": HoldState.ACTIVE,
        "created_at": now,
        "expires_at": now + hold_seconds,
        "user_id": user_id,
        "voucher_id": None,
        "voucher_uses": 0,
        "discount": 0,
    }
    code = None
    # A blank code (an empty form field) is no code.
    if voucher is not None and voucher.strip():
        found = applicable(session, event_id, voucher, now)
        prices = _apply(hold, found, wanted, prices)
        code = found.voucher.code
    short = _attempt(session, hold, wanted, prices)
    if short is not None:
        session.rollback()
        # Expired holds the worker has not reached yet may be all that is in the way.
        if short.voucher:
            release_expired(session, now, voucher_id=hold["voucher_id"])
        else:
            release_expired(session, now, type_ids=list(wanted))
        short = _attempt(session, hold, wanted, prices)
    if short is not None:
        session.rollback()
        if short.voucher:
            raise _voucher_short(session, hold["voucher_id"], hold["voucher_uses"])
        raise _sold_out_now(session, short.type_id, wanted, event_id, now)
    return NewHold(
        token=token,
        event_id=event_id,
        expires_at=hold["expires_at"],
        lines=tuple(
            HeldLine(type_id, types[type_id].name, wanted[type_id], prices[type_id])
            for type_id in sorted(wanted)
        ),
        currency=next(iter(types.values())).currency,
        voucher=code,
        discount=hold["discount"],
    )


def refuse_if_known_sold_out(
    session: Session, event_id: int, lines: Sequence[HoldLine], now: int
) -> None:
    """SoldOut, without a query, when a type asked for was found sold out a moment ago in
    this process (cloud.events.stock.SOLD_OUT)."""
    for line in lines:
        if (sold_out := SOLD_OUT.sold_out(session, event_id, line.type_id, now)) is not None:
            raise _sold_out(sold_out, line.quantity, 0)


def _apply(
    hold: dict[str, Any], voucher: Applicable, wanted: dict[int, int], prices: dict[int, int]
) -> dict[int, int]:
    """The unit prices after the voucher; records in ``hold`` the voucher, the tickets it
    counts against the voucher's uses and the money it takes off."""
    eligible = [type_id for type_id in wanted if voucher.applies_to(type_id)]
    if not eligible:
        raise VoucherRefused(
            f"voucher code {voucher.voucher.code!r} does not apply to these ticket types"
        )
    discounted = {
        type_id: voucher.price(price) if type_id in eligible else price
        for type_id, price in prices.items()
    }
    hold["voucher_id"] = voucher.voucher.id
    hold["voucher_uses"] = sum(wanted[type_id] for type_id in eligible)
    hold["discount"] = sum(
        wanted[type_id] * (prices[type_id] - discounted[type_id]) for type_id in eligible
    )
    return discounted


def _voucher_short(session: Session, voucher_id: int, asked: int) -> Conflict:
    voucher = session.get(Voucher, voucher_id)
    assert voucher is not None  # found before the attempt; vouchers are never deleted
    session.rollback()
    return exhausted(voucher, asked)


def _attempt(
    session: Session, hold: dict[str, Any], wanted: dict[int, int], prices: dict[int, int]
) -> _Short | None:
    """Write the hold, then take its seats and then its voucher uses, and commit: the types'
    and the voucher's rows stay locked only for those updates and the commit. Returns None,
    or what is short (nothing is committed then; the caller rolls back)."""
    items = [
        {
            "token_hash": hold["token_hash"],
            "type_id": type_id,
            "quantity": count,
            "unit_price": prices[type_id],
        }
        for type_id, count in sorted(wanted.items())
    ]
    if session.connection().dialect.name != "postgresql":
        return _reserve_and_commit(session, hold, items, wanted)
    voucher_id, uses = hold["voucher_id"], hold["voucher_uses"]
    try:
        # The hold, its items, the seats (in ascending type order) and the voucher's uses,
        # and the commit, in one round trip; the database refuses the commit when any of
        # them is short.
        with committed_together(session) as connection:
            connection.execute(_INSERT_HOLD, hold)
            connection.execute(_INSERT_ITEMS, items)
            for type_id in sorted(wanted):
                connection.execute(*held_seats_change(type_id, wanted[type_id]))
            if voucher_id is not None:
                connection.execute(*uses_change(voucher_id, uses))
    except IntegrityError as error:
        if refused_by(error, WITHIN_CAPACITY):
            return _Short(voucher=False)
        if refused_by(error, WITHIN_MAX_USES):
            return _Short(voucher=True)
        raise
    return None


def _reserve_and_commit(
    session: Session, hold: dict[str, Any], items: list[dict[str, Any]], wanted: dict[int, int]
) -> _Short | None:
    """SQLite, one writer at a time: the conditional updates, checked one by one."""
    voucher_id, uses = hold["voucher_id"], hold["voucher_uses"]
    connection = session.connection()
    connection.execute(_INSERT_HOLD, hold)
    connection.execute(_INSERT_ITEMS, items)
    short = _reserve(session, wanted)
    if short is not None:
        return _Short(voucher=False, type_id=short)
    if voucher_id is not None and not take_uses(session, voucher_id, uses):
        return _Short(voucher=True)
    session.commit()
    return None


def _checked_types(
    session: Session, event_id: int, lines: Sequence[HoldLine], now: int
) -> dict[int, _Type]:
    """The lines' ticket types, after every check that needs no lock, read with the event in
    one query."""
    counts = Counter(line.type_id for line in lines)
    every = session.connection().execute(_TYPES_ON_SALE, {"event_id": event_id}).all()
    rows = [row for row in every if row.id in counts]
    if every:
        on_sale = every[0].published_at is not None and every[0].suspended_at is None
    else:
        on_sale = _on_sale(session, event_id)
    if not on_sale:
        raise Conflict(f"event {event_id} is not on sale")
    if not lines:
        raise InvalidInput("a hold needs at least one item")
    if repeated := sorted(t for t, n in counts.items() if n > 1):
        raise InvalidInput(f"ticket type {repeated[0]} appears twice; give one quantity per type")
    if sum(line.quantity for line in lines) > MAX_TICKETS_PER_HOLD:
        raise InvalidInput(f"at most {MAX_TICKETS_PER_HOLD} tickets fit in one order")
    types = {row.id: _Type(*row[:10]) for row in rows}
    for line in lines:
        kind = types.get(line.type_id)
        if kind is None:
            raise NotFound(f"ticket type {line.type_id} is not sold at event {event_id}")
        if line.quantity < 1:
            raise InvalidInput(f"quantity must be at least 1, not {line.quantity}")
        if line.quantity > kind.per_order_limit:
            raise InvalidInput(
                f"at most {kind.per_order_limit} tickets of {kind.name!r} fit in one order"
            )
        if not sale_open(kind.sale_starts_at, kind.sale_ends_at, now):
            raise Conflict(_closed(kind, now))
    if len({kind.currency for kind in types.values()}) > 1:
        raise InvalidInput("ticket types priced in different currencies need separate orders")
    return types


def _on_sale(session: Session, event_id: int) -> bool:
    """Whether buyers may buy at the event (see cloud.events.catalog.ON_SALE); NotFound when
    there is no such event."""
    if session.get(Event, event_id) is None:
        raise NotFound(f"event {event_id} not found")
    return (
        session.scalar(
            select(Event.id)
            .join(Organisation, Organisation.id == Event.organizer_id)
            .where(Event.id == event_id, *ON_SALE)
        )
        is not None
    )


def _closed(kind: _Type, now: int) -> str:
    if kind.sale_starts_at is not None and now < kind.sale_starts_at:
        opens = to_datetime(kind.sale_starts_at).isoformat()
        return f"sales of {kind.name!r} open at {opens}"
    return f"sales of {kind.name!r} have ended"


def _refuse_if_short(
    session: Session, types: dict[int, _Type], wanted: dict[int, int], event_id: int, now: int
) -> None:
    """SoldOut, before anything is written, when the counters as read leave too few seats
    of a type even without the holds whose time ran out."""
    short = [t for t in sorted(wanted) if _left(types[t], 0) < wanted[t]]
    if not short:
        return
    stale = stale_holds(session, event_id, now)
    for type_id in short:
        left = _left(types[type_id], stale.get(type_id, 0))
        if left < wanted[type_id]:
            session.rollback()
            if left == 0:
                SOLD_OUT.note(session, event_id, type_id, types[type_id].name, now)
            raise _sold_out(types[type_id].name, wanted[type_id], left)


def _left(kind: _Type, stale: int) -> int:
    return seats_left(kind.capacity, kind.sold, kind.held, stale)


def _reserve(session: Session, wanted: dict[int, int]) -> int | None:
    """Hold every type's seats, in ascending type order; the first type short, or None."""
    for type_id in sorted(wanted):
        if not hold_seats(session, type_id, wanted[type_id]):
            return type_id
    return None


def _sold_out_now(
    session: Session, type_id: int | None, wanted: dict[int, int], event_id: int, now: int
) -> SoldOut:
    """The refusal of a hold whose seats were short: of ``type_id``, or when it is not known,
    of the first type that is short now (or the first type, if seats came back since)."""
    rows = session.scalars(
        select(TicketType).where(TicketType.id.in_(sorted(wanted))).order_by(TicketType.id)
    ).all()
    stale = stale_holds(session, event_id, now)
    lefts = [(row, available(row, stale)) for row in rows if type_id in (None, row.id)]
    row, left = next(((r, n) for r, n in lefts if n < wanted[r.id]), lefts[0])
    session.rollback()
    if left == 0:
        SOLD_OUT.note(session, event_id, row.id, row.name, now)
    return _sold_out(row.name, wanted[row.id], left)


def _sold_out(name: str, asked: int, left: int) -> SoldOut:
    if left == 0:
        return SoldOut(f"{name!r} is sold out")
    return SoldOut(f"{name!r} is sold out for {asked} tickets: only {left} are left")


def release_expired(
    session: Session,
    now: int,
    *,
    type_ids: list[int] | None = None,
    voucher_id: int | None = None,
    limit: int = RELEASE_BATCH,
) -> int:
    """Put the seats of up to ``limit`` expired holds (of some types, or of one voucher)
    back on sale and give back their voucher uses; returns how many holds. Holds another
    transaction has locked (being checked out, or released elsewhere) are skipped, so
    concurrent releasers neither wait for nor deadlock with anyone."""
    query = (
        select(Hold.id)
        .where(Hold.state == HoldState.ACTIVE, Hold.expires_at <= now)
        .order_by(Hold.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if type_ids is not None:
        query = query.where(
            Hold.id.in_(select(HoldItem.hold_id).where(HoldItem.type_id.in_(type_ids)))
        )
    if voucher_id is not None:
        query = query.where(Hold.voucher_id == voucher_id)
    ids = list(session.scalars(query).all())
    if not ids:
        session.commit()
        return 0
    for hold in session.scalars(select(Hold).where(Hold.id.in_(ids))):
        hold.state = HoldState.EXPIRED
    seats = session.execute(
        select(HoldItem.type_id, func.sum(HoldItem.quantity))
        .where(HoldItem.hold_id.in_(ids))
        .group_by(HoldItem.type_id)
        .order_by(HoldItem.type_id)
    ).all()
    uses = session.execute(
        select(Hold.voucher_id, func.sum(Hold.voucher_uses))
        .where(Hold.id.in_(ids), Hold.voucher_id.is_not(None))
        .group_by(Hold.voucher_id)
    ).all()
    session.flush()
    for type_id, count in seats:
        release_seats(session, type_id, int(count))
    give_back_uses(session, [(int(v), int(n)) for v, n in uses if v is not None])
    session.commit()
    return len(ids)


def hold_by_token(session: Session, token: str, *, lock: bool = False) -> Hold:
    query = select(Hold).where(Hold.token_hash == token_digest(token))
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    hold = session.scalar(query)
    if hold is None:
        raise NotFound("no hold with this token; it may belong to another buyer")
    return hold


def voucher_code(session: Session, hold: Hold) -> str | None:
    """The code of the voucher the hold used, as the organizer wrote it, or None."""
    if hold.voucher_id is None:
        return None
    return session.scalar(select(Voucher.code).where(Voucher.id == hold.voucher_id))


def hold_items(session: Session, hold_id: int) -> list[tuple[HoldItem, TicketType]]:
    rows = session.execute(
        select(HoldItem, TicketType)
        .join(TicketType, TicketType.id == HoldItem.type_id)
        .where(HoldItem.hold_id == hold_id)
        .order_by(HoldItem.type_id)
    ).all()
    return [(item, ticket_type) for item, ticket_type in rows]
