"""The read-only queries only the manager's dashboard asks, over the venue's store.

The store keeps the schema, every write and what the scanner API and the cloud sync read; the
dashboard's views of the same tables live here, next to the code that shows them. Each is one
cheap indexed query (the page asks every two seconds) in one read transaction of the store.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from shared.messages import ScanRecord
from venue_server.store import VenueStore

_record_decoder = msgspec.json.Decoder(ScanRecord)


@dataclass(frozen=True, slots=True)
class ZoneCount:
    """Admissions and exits counted in one zone ('' is the venue's main zone)."""

    zone: str
    entries: int
    exits: int

    @property
    def inside(self) -> int:
        return self.entries - self.exits


def zone_counts(store: VenueStore) -> list[ZoneCount]:
    """Every zone's counts, kept up to date as scans arrive (no scan is walked here)."""
    with store.read_transaction() as conn:
        rows = conn.execute("SELECT zone, entries, exits FROM zone_counts ORDER BY zone").fetchall()
    return [ZoneCount(*row) for row in rows]


def entries_per_minute(store: VenueStore, since_ms: int, until_ms: int) -> dict[int, int]:
    """Admissions per minute (Unix minute number) scanned in ``[since_ms, until_ms)``."""
    with store.read_transaction() as conn:
        # Literal reason, so SQLite uses the partial index scans_admitted_time.
        rows = conn.execute(
            "SELECT scanned_at_ms / 60000, COUNT(*) FROM scans "
            "WHERE reason = 'admitted' AND scanned_at_ms >= ? AND scanned_at_ms < ? "
            "GROUP BY 1",
            (since_ms, until_ms),
        ).fetchall()
    return {int(minute): int(count) for minute, count in rows}


def rejected_scans(store: VenueStore, limit: int = 50) -> list[ScanRecord]:
    """The latest scans that neither admitted nor let out anyone, newest first."""
    with store.read_transaction() as conn:
        # Literal reasons, so SQLite uses the partial index scans_rejected.
        rows = conn.execute(
            "SELECT record FROM scans WHERE reason NOT IN ('admitted', 'exited') "
            "ORDER BY seq DESC LIMIT ?",
            (limit,),
        ).fetchall()
    return [_record_decoder.decode(r[0]) for r in rows]


def pending_by_device(store: VenueStore) -> dict[str, int]:
    """Scans not yet acknowledged by the cloud, per device that made them."""
    with store.read_transaction() as conn:
        rows = conn.execute(
            "SELECT device_id, COUNT(*) FROM scans WHERE uploaded = 0 GROUP BY device_id"
        ).fetchall()
    return {str(device_id): int(count) for device_id, count in rows}


def tickets_changed_after(store: VenueStore, seq: int) -> int:
    """Ticket changes a scanner holding manifest cursor ``seq`` has not pulled yet."""
    with store.read_transaction() as conn:
        row = conn.execute("SELECT COUNT(*) FROM tickets WHERE seq > ?", (seq,)).fetchone()
    return int(row[0])
