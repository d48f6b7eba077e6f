"""Vouchers: the organizer's side (create, list, deactivate) and what a hold needs (find a
code, price a line, take and give back uses).

Uses are taken with one conditional UPDATE (``used + n <= max_uses``), atomic on PostgreSQL
and SQLite alike, so buyers racing for the last uses can never overuse a voucher; a hold on
PostgreSQL adds them with a plain increment that the database's constraint
(:data:`WITHIN_MAX_USES`) refuses past the limit, committed with its seats
(cloud.events.stock.committed_together). A hold locks the voucher's row after its ticket types'
rows, and releasing expired holds does the same, so the two never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Integer, Update, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.errors import Conflict, InvalidInput, NotFound
from cloud.events.models import TicketType
from cloud.events.service import own_event
from cloud.events.stock import Change
from cloud.timestamps import to_datetime
from cloud.vouchers.models import Voucher, VoucherTicketType


class VoucherRefused(InvalidInput):
    """The code does not take money off this hold: unknown, inactive, out of its window, or
    for other ticket types."""


class VoucherExhausted(Conflict):
    """Fewer uses are left than the hold's eligible tickets."""


@dataclass(frozen=True, slots=True)
class VoucherTerms:
    """What the organizer asked for, in database units (Unix seconds, minor units)."""

    code: str
    percent_off: int | None = None
    amount_off: int | None = None
    type_ids: tuple[int, ...] = ()
    valid_from: int | None = None
    valid_until: int | None = None
    max_uses: int | None = None


def normalize_code(code: str) -> str:
    """Codes match whatever the case the buyer types them in."""
    return code.strip().upper()


def create_voucher(
    session: Session, organizer_id: int, event_id: int, terms: VoucherTerms, now: int
) -> tuple[Voucher, list[int]]:
    own_event(session, organizer_id, event_id)
    code = normalize_code(terms.code)
    if (terms.percent_off is None) == (terms.amount_off is None):
        raise InvalidInput("give either percent_off (1-100) or amount_off (per ticket), not both")
    if terms.percent_off is not None and not 1 <= terms.percent_off <= 100:
        raise InvalidInput(f"percent_off must be between 1 and 100, not {terms.percent_off}")
    if terms.amount_off is not None and terms.amount_off < 1:
        raise InvalidInput("amount_off must be at least 1 (in the currency's minor unit)")
    if terms.max_uses is not None and terms.max_uses < 1:
        raise InvalidInput("max_uses must be at least 1, or left out for no limit")
    if (
        terms.valid_from is not None
        and terms.valid_until is not None
        and terms.valid_from >= terms.valid_until
    ):
        raise InvalidInput("valid_from must be before valid_until")
    type_ids = sorted(set(terms.type_ids))
    if type_ids:
        found = set(
            session.scalars(
                select(TicketType.id).where(
                    TicketType.id.in_(type_ids), TicketType.event_id == event_id
                )
            )
        )
        if missing := [t for t in type_ids if t not in found]:
            raise NotFound(f"ticket type {missing[0]} not found in event {event_id}")
    if _find(session, event_id, code) is not None:
        raise Conflict(f"event {event_id} already has a voucher {code!r}")
    voucher = Voucher(
        event_id=event_id,
        code=code,
        percent_off=terms.percent_off,
        amount_off=terms.amount_off,
        valid_from=terms.valid_from,
        valid_until=terms.valid_until,
        max_uses=terms.max_uses,
        used=0,
        active=True,
        created_at=now,
    )
    session.add(voucher)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another request created the same code in between.
        session.rollback()
        raise Conflict(f"event {event_id} already has a voucher {code!r}") from exc
    session.add_all(VoucherTicketType(voucher_id=voucher.id, type_id=t) for t in type_ids)
    session.commit()
    return voucher, type_ids


def list_vouchers(
    session: Session, organizer_id: int, event_id: int
) -> list[tuple[Voucher, list[int]]]:
    own_event(session, organizer_id, event_id)
    vouchers = session.scalars(
        select(Voucher).where(Voucher.event_id == event_id).order_by(Voucher.id)
    ).all()
    types = restricted_types(session, [v.id for v in vouchers])
    return [(voucher, sorted(types.get(voucher.id, ()))) for voucher in vouchers]


def deactivate_voucher(
    session: Session, organizer_id: int, event_id: int, voucher_id: int
) -> tuple[Voucher, list[int]]:
    """Buyers can no longer apply it; holds and orders that already did keep their price."""
    own_event(session, organizer_id, event_id)
    voucher = session.get(Voucher, voucher_id)
    if voucher is None or voucher.event_id != event_id:
        raise NotFound(f"voucher {voucher_id} not found in event {event_id}")
    voucher.active = False
    session.commit()
    return voucher, sorted(restricted_types(session, [voucher_id]).get(voucher_id, ()))


def restricted_types(session: Session, voucher_ids: Iterable[int]) -> dict[int, set[int]]:
    ids = list(voucher_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(VoucherTicketType.voucher_id, VoucherTicketType.type_id).where(
            VoucherTicketType.voucher_id.in_(ids)
        )
    ).all()
    out: dict[int, set[int]] = {}
    for voucher_id, type_id in rows:
        out.setdefault(voucher_id, set()).add(type_id)
    return out


def _find(session: Session, event_id: int, code: str) -> Voucher | None:
    return session.scalar(select(Voucher).where(Voucher.event_id == event_id, Voucher.code == code))


@dataclass(frozen=True, slots=True)
class Applicable:
    """A voucher a buyer may use now, and the ticket types it discounts (None: all)."""

    voucher: Voucher
    type_ids: frozenset[int] | None

    def applies_to(self, type_id: int) -> bool:
        return self.type_ids is None or type_id in self.type_ids

    def price(self, unit_price: int) -> int:
        """One ticket's price after the discount, never below zero."""
        if self.voucher.percent_off is not None:
            # Rounded to the nearest minor unit, halves in the buyer's favour.
            off = (unit_price * self.voucher.percent_off + 50) // 100
        else:
            off = self.voucher.amount_off or 0
        return max(unit_price - off, 0)


def applicable(session: Session, event_id: int, code: str, now: int) -> Applicable:
    """The voucher ``code`` of the event, if buyers may use it at ``now``."""
    wanted = normalize_code(code)
    voucher = _find(session, event_id, wanted) if wanted else None
    if voucher is None:
        raise VoucherRefused(f"voucher code {code.strip()[:40]!r} is not valid for this event")
    if not voucher.active:
        raise VoucherRefused(f"voucher code {voucher.code!r} is no longer valid")
    if voucher.valid_from is not None and now < voucher.valid_from:
        opens = to_datetime(voucher.valid_from).isoformat()
        raise VoucherRefused(f"voucher code {voucher.code!r} is valid from {opens}")
    if voucher.valid_until is not None and now >= voucher.valid_until:
        raise VoucherRefused(f"voucher code {voucher.code!r} has expired")
    types = restricted_types(session, [voucher.id]).get(voucher.id)
    return Applicable(voucher, None if types is None else frozenset(types))


def _changed(session: Session, statement: Update) -> bool:
    result = session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount == 1


def take_uses(session: Session, voucher_id: int, count: int) -> bool:
    """Count ``count`` more tickets against the voucher; False when fewer uses are left."""
    return _changed(
        session,
        update(Voucher)
        .where(
            Voucher.id == voucher_id,
            (Voucher.max_uses.is_(None)) | (Voucher.used + count <= Voucher.max_uses),
        )
        .values(used=Voucher.used + count),
    )


WITHIN_MAX_USES = "ck_vouchers_within_max_uses"
_VOUCHERS = Voucher.__table__
_ADD_USES = (
    update(_VOUCHERS)
    .where(_VOUCHERS.c.id == bindparam("voucher_id", type_=Integer))
    .values(used=_VOUCHERS.c.used + bindparam("count", type_=Integer))
)


def uses_change(voucher_id: int, count: int) -> Change:
    """For a cloud.events.stock.committed_together block on PostgreSQL: count ``count`` more tickets
    against the voucher; the commit fails (IntegrityError, :data:`WITHIN_MAX_USES`) when
    fewer uses are left."""
    return _ADD_USES, {"voucher_id": voucher_id, "count": count}


def give_back_uses(session: Session, uses: Sequence[tuple[int, int]]) -> None:
    """Return the uses of expired holds, as (voucher id, tickets), in ascending voucher order."""
    for voucher_id, count in sorted(uses):
        _changed(
            session,
            update(Voucher).where(Voucher.id == voucher_id).values(used=Voucher.used - count),
        )


def exhausted(voucher: Voucher, asked: int) -> VoucherExhausted:
    left = max((voucher.max_uses or 0) - voucher.used, 0)
    if left == 0:
        return VoucherExhausted(f"voucher code {voucher.code!r} has been used up")
    return VoucherExhausted(
        f"voucher code {voucher.code!r} has only {left} uses left, not {asked}; "
        "hold fewer tickets or leave the code out"
    )
