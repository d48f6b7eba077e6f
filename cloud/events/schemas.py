from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from cloud.timestamps import Moment

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
MAX_ENTRIES_LIMIT = 10_000
EntryLimit = Annotated[
    int,
    msgspec.Meta(
        ge=0,
        le=MAX_ENTRIES_LIMIT,
        description="admissions one ticket allows; 0 means no limit",
    ),
]


MAX_DESCRIPTION = 5000
Description = Annotated[
    str,
    msgspec.Meta(max_length=MAX_DESCRIPTION, description="plain text; line breaks are kept"),
]


class EventIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    venue_id: int
    starts_at: Moment
    ends_at: Moment
    description: Description = ""
    # Drafts are invisible to buyers and cannot be sold; true publishes it at once.
    published: bool = False
    # Whether buyers may give their tickets to others before the event starts.
    allow_giving: bool = True


class EventUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    starts_at: Moment | msgspec.UnsetType = msgspec.UNSET
    ends_at: Moment | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    allow_giving: bool | msgspec.UnsetType = msgspec.UNSET


class ImageSize(msgspec.Struct):
    """One stored size of an event's picture, for ``srcset``."""

    width: int
    url: str


class EventOut(msgspec.Struct):
    event_id: int
    name: str
    venue_id: int
    starts_at: datetime
    ends_at: datetime
    key_id: int
    description: str = ""
    venue_name: str = ""
    # None while it is a draft.
    published_at: datetime | None = None
    image_url: str | None = None
    thumbnail_url: str | None = None
    # Set when the platform's team took the event off sale, with the reason they gave; it
    # cannot be published again until they restore it.
    hidden_at: datetime | None = None
    allow_giving: bool = True
    hidden_reason: str | None = None
    # Every stored size of the picture, smallest first ([] for a picture kept in one size).
    image_sizes: list[ImageSize] = msgspec.field(default_factory=list)


MAX_CAPACITY = 10_000_000
MAX_PRICE = 100_000_000  # one million in major units
MAX_PER_ORDER = 1000
Capacity = Annotated[int, msgspec.Meta(ge=0, le=MAX_CAPACITY)]
Price = Annotated[
    int,
    msgspec.Meta(
        ge=0, le=MAX_PRICE, description="in the currency's minor unit (cents); 0 means free"
    ),
]
Currency = Annotated[
    str, msgspec.Meta(pattern="^[A-Z]{3}$", description="ISO 4217 code in capitals, e.g. EUR")
]
PerOrderLimit = Annotated[
    int,
    msgspec.Meta(ge=1, le=MAX_PER_ORDER, description="most tickets of this type in one order"),
]


class TicketTypeIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    capacity: Capacity
    max_entries: EntryLimit = 1
    # Whether a holder who went out through an exit gate may come back in without using an
    # admission.
    reentry: bool = False
    price: Price = 0
    currency: Currency = "EUR"
    # Buyers may hold tickets of this type from/until these moments (none: no limit).
    sale_starts_at: Moment | None = None
    sale_ends_at: Moment | None = None
    per_order_limit: PerOrderLimit = 10


class TicketTypeUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change; ``null`` clears a sale window bound."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    capacity: Capacity | msgspec.UnsetType = msgspec.UNSET
    max_entries: EntryLimit | msgspec.UnsetType = msgspec.UNSET
    reentry: bool | msgspec.UnsetType = msgspec.UNSET
    price: Price | msgspec.UnsetType = msgspec.UNSET
    currency: Currency | msgspec.UnsetType = msgspec.UNSET
    sale_starts_at: Moment | msgspec.UnsetType | None = msgspec.UNSET
    sale_ends_at: Moment | msgspec.UnsetType | None = msgspec.UNSET
    per_order_limit: PerOrderLimit | msgspec.UnsetType = msgspec.UNSET


class TicketTypeOut(msgspec.Struct):
    type_id: int
    name: str
    capacity: int
    max_entries: int
    reentry: bool
    price: int
    currency: str
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None
    per_order_limit: int
    sold: int
    # Seats in live holds and unpaid orders; expired holds are not counted.
    held: int
    available: int


class OnSaleType(msgspec.Struct):
    """A ticket type as a buyer sees it."""

    type_id: int
    name: str
    price: int
    currency: str
    per_order_limit: int
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None
    on_sale: bool
    available: int


class Storefront(msgspec.Struct):
    event_id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    ticket_types: list[OnSaleType]
    description: str = ""
    venue_name: str = ""
    # The venue's IANA time zone, in which its times are meant to be read.
    timezone: str = "UTC"
    image_url: str | None = None
    image_sizes: list[ImageSize] = msgspec.field(default_factory=list)
    # False: the tickets stay with their buyer (the organizer does not allow giving them).
    allow_giving: bool = True


class EventCardOut(msgspec.Struct):
    """A published event in the public listing."""

    event_id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    venue_name: str
    # The venue's IANA time zone, in which its times are meant to be read.
    timezone: str
    # The cheapest ticket and its currency; None when nothing is priced yet.
    lowest_price: int | None
    currency: str | None
    # Whether any ticket type still has seats and has not ended its sale.
    available: bool
    image_url: str | None
    thumbnail_url: str | None
