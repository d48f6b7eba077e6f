"""What the venue serves its scanners: manifest pages, scan intake and the all-gates scan feed.

Whoever pushes the feed to gates live (``venue_server.live``) registers a :class:`FeedWatcher`
for a store here; scan intake tells it about new scans as soon as they are committed, and any
other code that changes the venue's tickets calls :func:`announce_manifest_change`.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Protocol

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


class FeedWatcher(Protocol):
    """Hears that a store's scan feed or manifest moved on; both may be called from any thread
    and must return at once (they only wake whoever does the work)."""

    def scans_stored(self) -> None: ...

    def manifest_changed(self) -> None: ...


# Per store, so two venue apps in one process (tests) stay apart. Weak on both sides: a
# watcher lives only as long as its owner does, and a store's entry goes with the store.
_watchers: weakref.WeakKeyDictionary[VenueStore, weakref.WeakSet[FeedWatcher]] = (
    weakref.WeakKeyDictionary()
)
_watchers_lock = threading.Lock()


def watch(store: VenueStore, watcher: FeedWatcher) -> None:
    """Tell ``watcher`` about every later change to ``store``'s scan feed and manifest."""
    with _watchers_lock:
        _watchers.setdefault(store, weakref.WeakSet()).add(watcher)


def _watchers_of(store: VenueStore) -> list[FeedWatcher]:
    with _watchers_lock:
        return list(_watchers.get(store, ()))


def announce_scans(store: VenueStore) -> None:
    """New scans are committed to ``store``'s feed."""
    for watcher in _watchers_of(store):
        watcher.scans_stored()


def announce_manifest_change(store: VenueStore) -> None:
    """Tickets changed in ``store`` (a cloud page with issues or revocations was applied)."""
    for watcher in _watchers_of(store):
        watcher.manifest_changed()


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
    """Decode and check the whole batch before storing any of it; replays store nothing.

    A device uploads its own scans, and those it made under an earlier pairing: a pairing
    revoked since, or one this venue server never knew (it replaced the server that made it).
    A scan in the name of another device still paired here is refused with the whole batch:
    a gate's log holds only what that gate did. Every stored scan keeps who uploaded it.
    """
    batch = decode(body, ScanBatch)
    others = {r.device_id for r in batch.scans if r.device_id != device.device_id}
    if others and (live := store.live_devices(others)):
        named = min(live)
        scan_id = next(r.scan_id for r in batch.scans if r.device_id == named)
        raise ForeignScan(
            f"scan {scan_id} was made by device {named!r}, which is paired here and not "
            f"revoked, not by {device.device_id!r}; a device uploads only its own scans"
        )
    stored = store.add_scans(batch.scans, now_ms, uploaded_by=device.device_id)
    if stored.new:
        # After the commit, so a gate woken by this finds the scans when it reads the feed.
        announce_scans(store)
    ack = ScanAck(stored=len(stored.new), duplicates=stored.duplicates, acked=stored.held_ids)
    return Intake(ack, stored.new)
