from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

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


class EventIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    venue_id: int
    starts_at: datetime
    ends_at: datetime


class EventOut(msgspec.Struct):
    event_id: int
    name: str
    venue_id: int
    starts_at: datetime
    ends_at: datetime
    key_id: int


class TicketTypeIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    capacity: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]
    max_entries: EntryLimit = 1
    # Whether a holder who went out through an exit gate may come back in without using an
    # admission.
    reentry: bool = False


class TicketTypeOut(msgspec.Struct):
    type_id: int
    name: str
    capacity: int
    max_entries: int
    reentry: bool
