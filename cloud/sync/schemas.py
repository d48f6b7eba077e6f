from __future__ import annotations

import msgspec


class VenueMe(msgspec.Struct):
    venue_id: int
    name: str
