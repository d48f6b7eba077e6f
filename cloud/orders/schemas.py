from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

MAX_QUANTITY = 1000
MAX_LINES = 20

Quantity = Annotated[int, msgspec.Meta(ge=1, le=MAX_QUANTITY)]
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
BuyerName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class HoldLineIn(msgspec.Struct, forbid_unknown_fields=True):
    type_id: int
    quantity: Quantity


class HoldIn(msgspec.Struct, forbid_unknown_fields=True):
    event_id: int
    buyer_email: Email
    buyer_name: BuyerName
    items: Annotated[list[HoldLineIn], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    # A promo code of the event, in any case; blank or absent: none.
    voucher: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class TicketsAgainIn(msgspec.Struct, forbid_unknown_fields=True):
    # The address the tickets were bought with.
    email: Email


class WaitlistIn(msgspec.Struct, forbid_unknown_fields=True):
    # Where to say that tickets can be bought again.
    email: Email


class WaitlistOut(msgspec.Struct):
    detail: str


class OrderEmailIn(msgspec.Struct, forbid_unknown_fields=True):
    # A corrected address for the buyer; absent: the one the order was bought with.
    email: Email | None = None


class TicketsAgainOut(msgspec.Struct):
    detail: str


class LineOut(msgspec.Struct):
    type_id: int
    name: str
    quantity: int
    unit_price: int


class HoldOut(msgspec.Struct):
    # The buyer's secret for this hold and, after checkout, for the order it becomes.
    hold_token: str
    event_id: int
    state: str
    expires_at: datetime
    items: list[LineOut]
    total: int
    currency: str
    # The voucher code applied and what it took off ``total`` (already deducted from the
    # lines' unit prices), in minor units.
    voucher: str | None = None
    discount: int = 0


class OrderTicketOut(msgspec.Struct):
    ticket_id: str
    # The QR code's text; null for a ticket the buyer gave away (only its holder has it).
    token: str | None
    type_id: int
    holder_name: str
    revoked: bool
    # The address a ticket was given to (POST .../tickets/{ticket_id}/give); null otherwise.
    given_to: str | None = None


class GiveIn(msgspec.Struct, forbid_unknown_fields=True):
    """Whom to give a ticket to: their name, printed at the gate, and where its code goes."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    email: Email


class ReceivedTicketOut(msgspec.Struct):
    """A ticket given to its holder, as its own link shows it (GET /shop/tickets/{token})."""

    ticket_id: str
    # The QR code's text; null once the ticket was cancelled or given on.
    token: str | None
    type_id: int
    type_name: str
    holder_name: str
    # Who gave it: the buyer, or whoever had it before.
    given_by: str
    event_id: int
    event_name: str
    starts_at: datetime
    venue_name: str
    revoked: bool
    # Whether it can be given on now (POST /shop/tickets/{token}/give).
    can_give: bool
    # The address it was given on to, if it was.
    given_to: str | None = None


class OrderOut(msgspec.Struct):
    reference: str
    event_id: int
    status: str
    buyer_email: str
    buyer_name: str
    total: int
    currency: str
    payment_provider: str
    lines: list[LineOut]
    tickets: list[OrderTicketOut]
    created_at: datetime
    paid_at: datetime | None = None
    # For a pending payment: what the buyer's browser needs to finish paying.
    client_secret: str | None = None


class OrderSummary(msgspec.Struct):
    """An order as its organizer sees it in a list."""

    reference: str
    status: str
    buyer_email: str
    buyer_name: str
    total: int
    currency: str
    tickets: int
    created_at: datetime
