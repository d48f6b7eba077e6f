from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
# An IANA zone name ("Europe/Zagreb"): the venue's events are shown in its time.
TimeZone = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class VenueIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    timezone: TimeZone = "UTC"


class VenueChange(msgspec.Struct, forbid_unknown_fields=True):
    """What to change; fields left out stay as they are."""

    name: Name | None = None
    timezone: TimeZone | None = None


class VenueOut(msgspec.Struct):
    venue_id: int
    name: str
    timezone: str


class VenueCreated(msgspec.Struct):
    venue_id: int
    name: str
    api_key: str
    timezone: str


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
