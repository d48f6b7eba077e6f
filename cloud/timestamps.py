"""The API speaks ISO 8601; the database and tokens speak Unix seconds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec

from cloud.errors import InvalidInput

# A moment the API is given. Its UTC offset is required: now that each venue keeps its own
# time, "2030-06-01T20:00:00" could mean UTC or the venue's evening, and guessing would put
# an event hours off. msgspec refuses one without an offset (400, naming the field).
Moment = Annotated[
    datetime,
    msgspec.Meta(
        tz=True,
        description="ISO 8601 with its UTC offset: 2030-06-01T20:00:00+02:00 or ...T18:00:00Z",
    ),
]

_U32_MAX = 2**32 - 1


def to_unix(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no UTC offset")
    return int(moment.timestamp())


def stored_moment(moment: datetime | None, name: str) -> int | None:
    """``moment`` in Unix seconds as the database and ticket tokens hold them (an unsigned
    32-bit number); InvalidInput naming field ``name`` when it falls outside."""
    if moment is None:
        return None
    seconds = to_unix(moment)
    if not 0 <= seconds <= _U32_MAX:
        raise InvalidInput(f"{name} must be between 1970 and 2106")
    return seconds


def to_datetime(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
