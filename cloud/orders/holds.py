"""Holds: a buyer's seats, reserved for a limited time.

A hold takes its seats with one conditional UPDATE per ticket type (cloud.events.stock), so
buyers of different types never wait for each other and no type is ever oversold. When its
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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, InvalidInput, NotFound
from cloud.events.models import Event, TicketType
from cloud.events.service import on_sale
from cloud.events.stock import available, hold_seats, release_seats, stale_holds
from cloud.orders.models import Hold, HoldItem, HoldState
from cloud.timestamps import to_datetime
from cloud.vouchers.models import Voucher
from cloud.vouchers.service import (
    Applicable,
    VoucherRefused,
    applicable,
    exhausted,
    give_back_uses,
    take_uses,
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
    """What stopped an attempt: a ticket type's seats, or (None) the voucher's uses."""

    type_id: int | None


def token_digest(token: str) -> str:
    """Holds and orders keep only this digest of the buyer's token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def buyer_email(value: str) -> str:
    email = value.strip()
    local, at, domain = email.rpartition("@")
    if not (at and local and "." in domain) or any(
        c.isspace() or not c.isprintable() for c in email
    ):
        raise InvalidInput(f"buyer_email {email[:60]!r} is not an email address (name@domain)")
    return email


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
) -> tuple[Hold, str]:
    """Reserve the seats of ``lines`` for ``hold_seconds``, at the prices the ``voucher``
    code gives, if any; returns the hold and the buyer's token for it (shown once, stored as
    a digest). Raises SoldOut when a type is short, VoucherRefused or VoucherExhausted when
    the code does not apply; nothing is held then."""
    email, name = buyer_email(email), buyer_name(name)
    types = _checked_types(session, event_id, lines, now)
    wanted = {line.type_id: line.quantity for line in lines}
    prices = {type_id: row.price for type_id, row in types.items()}
    token = secrets.token_urlsafe(32)
    hold = Hold(
        token_hash=token_digest(token),
        event_id=event_id,
        buyer_email=email,
        buyer_name=name,
        state=HoldState.ACTIVE,
        created_at=now,
        expires_at=now + hold_seconds,
        user_id=user_id,
        voucher_id=None,
        voucher_uses=0,
        discount=0,
    )
    # A blank code (an empty form field) is no code.
    if voucher is not None and voucher.strip():
        prices = _apply(hold, applicable(session, event_id, voucher, now), wanted, prices)
    short = _attempt(session, hold, wanted, prices)
    if short is not None:
        session.rollback()
        # Expired holds the worker has not reached yet may be all that is in the way.
        if short.type_id is None:
            release_expired(session, now, voucher_id=hold.voucher_id)
        else:
            release_expired(session, now, type_ids=list(wanted))
        hold = _copy(hold)
        short = _attempt(session, hold, wanted, prices)
    if short is not None:
        session.rollback()
        if short.type_id is None:
            raise _voucher_short(session, hold)
        raise _sold_out(session, short.type_id, wanted[short.type_id], event_id, now)
    session.commit()
    return hold, token


def _apply(
    hold: Hold, voucher: Applicable, wanted: dict[int, int], prices: dict[int, int]
) -> dict[int, int]:
    """The unit prices after the voucher; records on ``hold`` the voucher, the tickets it
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
    hold.voucher_id = voucher.voucher.id
    hold.voucher_uses = sum(wanted[type_id] for type_id in eligible)
    hold.discount = sum(
        wanted[type_id] * (prices[type_id] - discounted[type_id]) for type_id in eligible
    )
    return discounted


def _voucher_short(session: Session, hold: Hold) -> Conflict:
    voucher = session.get(Voucher, hold.voucher_id)
    assert voucher is not None  # found before the attempt; vouchers are never deleted
    session.rollback()
    return exhausted(voucher, hold.voucher_uses)


def _copy(hold: Hold) -> Hold:
    return Hold(
        token_hash=hold.token_hash,
        event_id=hold.event_id,
        buyer_email=hold.buyer_email,
        buyer_name=hold.buyer_name,
        state=hold.state,
        created_at=hold.created_at,
        expires_at=hold.expires_at,
        user_id=hold.user_id,
        voucher_id=hold.voucher_id,
        voucher_uses=hold.voucher_uses,
        discount=hold.discount,
    )


def _attempt(
    session: Session, hold: Hold, wanted: dict[int, int], prices: dict[int, int]
) -> _Short | None:
    """Write the hold, then take its seats and then its voucher uses: the types' and the
    voucher's rows stay locked only for those updates and the commit. Returns what is short,
    or None."""
    session.add(hold)
    session.flush()
    session.add_all(
        HoldItem(hold_id=hold.id, type_id=type_id, quantity=quantity, unit_price=prices[type_id])
        for type_id, quantity in sorted(wanted.items())
    )
    session.flush()
    short = _reserve(session, wanted)
    if short is not None:
        return _Short(short)
    if hold.voucher_id is not None and not take_uses(session, hold.voucher_id, hold.voucher_uses):
        return _Short(None)
    return None


def _checked_types(
    session: Session, event_id: int, lines: Sequence[HoldLine], now: int
) -> dict[int, TicketType]:
    """The lines' ticket types, after every check that needs no lock."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound(f"event {event_id} not found")
    if event.published_at is None:
        raise Conflict(f"event {event_id} is not on sale")
    if not lines:
        raise InvalidInput("a hold needs at least one item")
    counts = Counter(line.type_id for line in lines)
    if repeated := sorted(t for t, n in counts.items() if n > 1):
        raise InvalidInput(f"ticket type {repeated[0]} appears twice; give one quantity per type")
    if sum(line.quantity for line in lines) > MAX_TICKETS_PER_HOLD:
        raise InvalidInput(f"at most {MAX_TICKETS_PER_HOLD} tickets fit in one order")
    found = session.scalars(
        select(TicketType).where(TicketType.id.in_(list(counts)), TicketType.event_id == event_id)
    ).all()
    types = {row.id: row for row in found}
    for line in lines:
        row = types.get(line.type_id)
        if row is None:
            raise NotFound(f"ticket type {line.type_id} is not sold at event {event_id}")
        if line.quantity < 1:
            raise InvalidInput(f"quantity must be at least 1, not {line.quantity}")
        if line.quantity > row.per_order_limit:
            raise InvalidInput(
                f"at most {row.per_order_limit} tickets of {row.name!r} fit in one order"
            )
        if not on_sale(row, now):
            raise Conflict(_closed(row, now))
    if len({row.currency for row in types.values()}) > 1:
        raise InvalidInput("ticket types priced in different currencies need separate orders")
    return types


def _closed(row: TicketType, now: int) -> str:
    if row.sale_starts_at is not None and now < row.sale_starts_at:
        opens = to_datetime(row.sale_starts_at).isoformat()
        return f"sales of {row.name!r} open at {opens}"
    return f"sales of {row.name!r} have ended"


def _reserve(session: Session, wanted: dict[int, int]) -> int | None:
    """Hold every type's seats, in ascending type order; the first type short, or None."""
    for type_id in sorted(wanted):
        if not hold_seats(session, type_id, wanted[type_id]):
            return type_id
    return None


def _sold_out(session: Session, type_id: int, asked: int, event_id: int, now: int) -> SoldOut:
    row = session.get(TicketType, type_id)
    assert row is not None  # checked before the attempt; types are never deleted
    left = available(row, stale_holds(session, event_id, now))
    session.rollback()
    if left == 0:
        return SoldOut(f"{row.name!r} is sold out")
    return SoldOut(f"{row.name!r} is sold out for {asked} tickets: only {left} are left")


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
