from __future__ import annotations

import msgspec

from shared.messages import ScanRecord


class ScanList(msgspec.Struct):
    scans: list[ScanRecord]


class ConflictOut(msgspec.Struct):
    event_id: int
    ticket_id: str
    admitted: ScanRecord
    conflicting: ScanRecord
    detected_at: int


class ConflictList(msgspec.Struct):
    conflicts: list[ConflictOut]
