from __future__ import annotations

from datetime import datetime
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


class GateOut(msgspec.Struct):
    """A gate as the venue's uploaded scans name it."""

    gate: str
    # Scanners that scanned at this gate.
    devices: int
    scans: int
    admitted: int
    last_scan_at: datetime
    # When the cloud last received one of its scans.
    last_upload_at: datetime
