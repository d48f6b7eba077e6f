from __future__ import annotations

from typing import Annotated

import msgspec


class VenueIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class VenueOut(msgspec.Struct):
    venue_id: int
    name: str


class VenueCreated(msgspec.Struct):
    venue_id: int
    name: str
    api_key: str
