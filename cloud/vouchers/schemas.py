from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from cloud.events.schemas import MAX_PRICE
from cloud.timestamps import Moment

Code = Annotated[
    str,
    msgspec.Meta(
        pattern="^[A-Za-z0-9_-]{3,40}$",
        description="3 to 40 letters, digits, '-' or '_'; buyers may type it in any case",
    ),
]
PercentOff = Annotated[int, msgspec.Meta(ge=1, le=100)]
AmountOff = Annotated[
    int, msgspec.Meta(ge=1, le=MAX_PRICE, description="per ticket, in the currency's minor unit")
]
MaxUses = Annotated[int, msgspec.Meta(ge=1, le=10_000_000, description="tickets, in all")]


class VoucherIn(msgspec.Struct, forbid_unknown_fields=True):
    """Give exactly one of ``percent_off`` and ``amount_off``."""

    code: Code
    percent_off: PercentOff | None = None
    amount_off: AmountOff | None = None
    # The ticket types it discounts; empty: every type of the event.
    type_ids: Annotated[list[int], msgspec.Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )
    valid_from: Moment | None = None
    valid_until: Moment | None = None
    max_uses: MaxUses | None = None


class VoucherOut(msgspec.Struct):
    voucher_id: int
    code: str
    percent_off: int | None
    amount_off: int | None
    type_ids: list[int]
    valid_from: datetime | None
    valid_until: datetime | None
    max_uses: int | None
    # Tickets in live holds and orders that used it.
    used: int
    active: bool
