"""What the venue serves its scanners: manifest pages, scan intake and the all-gates scan feed."""

from __future__ import annotations

from dataclasses import dataclass

from shared.messages import (
    ManifestPage,
    ScanAck,
    ScanBatch,
    ScanFeed,
    ScanRecord,
    decode,
)
from venue_server.errors import BadRequest, ForeignScan
from venue_server.store import Device, VenueStore

MAX_PAGE = 1000
_MAX_CURSOR_DIGITS = 18


def parse_cursor(cursor: str) -> int:
    """A venue cursor is the last seq the client holds, as decimal text; empty means start."""
    if cursor == "":
        return 0
    if len(cursor) > _MAX_CURSOR_DIGITS or not cursor.isascii() or not cursor.isdigit():
        raise BadRequest(f"invalid cursor {cursor[:40]!r}")
    return int(cursor)


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise BadRequest(f"limit must be between 1 and {MAX_PAGE}")
    return limit


def manifest_page(store: VenueStore, cursor: str, limit: int) -> ManifestPage:
    """The venue's local manifest from ``cursor`` on; every page carries all events and keys."""
    after = parse_cursor(cursor)
    rows, remaining = store.tickets_after(after, check_limit(limit))
    return ManifestPage(
        next_cursor=str(rows[-1][0] if rows else after),
        has_more=remaining > 0,
        remaining=remaining,
        events=store.events(),
        keys=store.public_keys(),
        tickets=[ticket for _, ticket in rows],
    )


def scan_feed(store: VenueStore, cursor: str, limit: int) -> ScanFeed:
    after = parse_cursor(cursor)
    rows, has_more = store.scans_after(after, check_limit(limit))
    return ScanFeed(
        next_cursor=str(rows[-1][0] if rows else after),
        has_more=has_more,
        scans=[record for _, record in rows],
    )


@dataclass(frozen=True, slots=True)
class Intake:
    ack: ScanAck
    new: list[ScanRecord]


def receive_scans(store: VenueStore, device: Device, body: bytes, now_ms: int) -> Intake:
    """Decode and check the whole batch before storing any of it; replays store nothing."""
    batch = decode(body, ScanBatch)
    for record in batch.scans:
        if record.device_id != device.device_id:
            raise ForeignScan(
                f"scan {record.scan_id} was made by device {record.device_id!r}, "
                f"not by {device.device_id!r}; a device uploads only its own scans"
            )
    stored = store.add_scans(batch.scans, now_ms)
    ack = ScanAck(stored=len(stored.new), duplicates=stored.duplicates, acked=stored.held_ids)
    return Intake(ack, stored.new)
