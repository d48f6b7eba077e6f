"""What the manager's dashboard shows, assembled from the store in one pass.

The page asks for this every two seconds, so every part is a cheap indexed query or a small
counter table; nothing here walks all scans.
"""

from __future__ import annotations

import msgspec

from shared.messages import ScanRecord
from venue_server.cloud_sync import SyncSnapshot
from venue_server.dashboard import devices as device_rules
from venue_server.dashboard import queries
from venue_server.store import Conflict, Device, SyncState, VenueStore

PLOT_MINUTES = 30
REJECTED_SHOWN = 50
CONFLICTS_SHOWN = 200
DEFAULT_STALE_AFTER = 900.0
MAIN_ZONE = "Main"


class SyncView(msgspec.Struct, kw_only=True):
    paired: bool
    cloud_url: str | None
    last_ok_at: float | None
    age_seconds: float | None
    stale: bool
    stale_after: float
    last_error: str | None
    last_error_at: float | None
    pull_done: int | None
    pull_remaining: int | None
    pull_percent: float | None


class CheckView(msgspec.Struct, kw_only=True):
    ok: bool
    text: str


class DeviceView(msgspec.Struct, kw_only=True):
    device_id: str
    name: str
    gate: str
    online: bool
    revoked: bool
    last_seen: int | None
    manifest_cursor: str | None
    tickets_behind: int | None
    clock_offset_ms: int | None
    pending_upload: int
    ready: bool
    checks: list[CheckView]


class MinuteView(msgspec.Struct, kw_only=True):
    minute_start: int
    entries: int


class ZoneView(msgspec.Struct, kw_only=True):
    zone: str
    label: str
    entries: int
    exits: int
    inside: int


class ScanView(msgspec.Struct, kw_only=True):
    scan_id: str
    device_id: str
    device_name: str
    gate: str
    scanned_at_ms: int
    reason: str
    label: str
    severity: str
    ticket_id: str | None


class ConflictView(msgspec.Struct, kw_only=True):
    ticket_id: str
    event_id: int | None
    holder_name: str
    type_name: str
    counted: ScanView
    flagged: ScanView
    detected_at_ms: int


class Overview(msgspec.Struct, kw_only=True):
    now: float
    venue_name: str
    manifest_version: str
    tickets: int
    scans: int
    scans_pending_upload: int
    sync: SyncView
    devices: list[DeviceView]
    per_minute: list[MinuteView]
    occupancy: list[ZoneView]
    conflicts: list[ConflictView]
    conflict_total: int
    rejected: list[ScanView]


def sync_view(
    store: VenueStore, state: SyncState, live: SyncSnapshot, now: float, stale_after: float
) -> SyncView:
    """The cloud sync as recorded in the store, or by this process's sync job if newer."""
    link = store.cloud_link()
    last_ok = max(
        (t for t in (state.last_ok_at, live.last_success_at) if t is not None), default=None
    )
    errors = [(state.last_error_at, state.last_error), (live.last_error_at, live.last_error)]
    error_at, error = max(
        ((at, text) for at, text in errors if at is not None and text), default=(None, None)
    )
    if error_at is not None and last_ok is not None and error_at <= last_ok:
        error_at, error = None, None
    age = None if last_ok is None else max(0.0, now - last_ok)
    done, remaining = state.pull_done, state.pull_remaining
    percent = None
    if done is not None and remaining is not None and done + remaining > 0:
        percent = round(100 * done / (done + remaining), 1)
    return SyncView(
        paired=link is not None,
        cloud_url=link.url if link else None,
        last_ok_at=last_ok,
        age_seconds=age,
        stale=link is not None and (age is None or age > stale_after),
        stale_after=stale_after,
        last_error=error,
        last_error_at=error_at,
        pull_done=done,
        pull_remaining=remaining,
        pull_percent=percent,
    )


def device_views(store: VenueStore, now: float, server_seq: int) -> list[DeviceView]:
    pending = queries.pending_by_device(store)
    views = []
    for device in store.devices():
        behind = device_rules.tickets_behind(store, device, server_seq)
        checks = device_rules.readiness(device, behind, now)
        views.append(_device_view(device, behind, checks, pending.get(device.device_id, 0), now))
    # Active devices first, then by gate and name, so the table reads like the venue's doors.
    return sorted(views, key=lambda v: (v.revoked, v.gate.lower(), v.name.lower()))


def _device_view(
    device: Device,
    behind: int | None,
    checks: list[device_rules.Check],
    pending: int,
    now: float,
) -> DeviceView:
    return DeviceView(
        device_id=device.device_id,
        name=device.name,
        gate=device.gate,
        online=device_rules.is_online(device, now),
        revoked=device.revoked,
        last_seen=device.last_seen,
        manifest_cursor=device.manifest_cursor,
        tickets_behind=behind,
        clock_offset_ms=device.clock_offset_ms,
        pending_upload=pending,
        ready=not device.revoked and all(c.ok for c in checks),
        checks=[CheckView(ok=c.ok, text=c.text) for c in checks],
    )


def per_minute(store: VenueStore, now: float, minutes: int = PLOT_MINUTES) -> list[MinuteView]:
    """Admissions in each of the last ``minutes`` minutes, the current one last."""
    current = int(now // 60)
    first = current - minutes + 1
    counts = queries.entries_per_minute(store, first * 60_000, (current + 1) * 60_000)
    return [
        MinuteView(minute_start=m * 60, entries=counts.get(m, 0)) for m in range(first, current + 1)
    ]


def occupancy(store: VenueStore) -> list[ZoneView]:
    return [
        ZoneView(
            zone=z.zone,
            label=z.zone or MAIN_ZONE,
            entries=z.entries,
            exits=z.exits,
            inside=z.inside,
        )
        for z in queries.zone_counts(store)
    ]


def scan_view(record: ScanRecord) -> ScanView:
    return ScanView(
        scan_id=record.scan_id,
        device_id=record.device_id,
        device_name=record.device_name,
        gate=record.gate,
        scanned_at_ms=record.scanned_at_ms,
        reason=record.reason.value,
        label=record.reason.label,
        severity=record.reason.severity.value,
        ticket_id=record.ticket_id,
    )


def conflict_view(conflict: Conflict) -> ConflictView:
    return ConflictView(
        ticket_id=conflict.ticket_id,
        event_id=conflict.event_id,
        holder_name=conflict.holder_name,
        type_name=conflict.type_name,
        counted=scan_view(conflict.counted),
        flagged=scan_view(conflict.flagged),
        detected_at_ms=conflict.detected_at_ms,
    )


def overview(
    store: VenueStore, live: SyncSnapshot, now: float, stale_after: float = DEFAULT_STALE_AFTER
) -> Overview:
    server_seq = store.manifest_seq()
    scans, pending = store.scan_counts()
    return Overview(
        now=now,
        venue_name=store.venue_name(),
        manifest_version=str(server_seq),
        tickets=store.ticket_count(),
        scans=scans,
        scans_pending_upload=pending,
        sync=sync_view(store, store.sync_state(), live, now, stale_after),
        devices=device_views(store, now, server_seq),
        per_minute=per_minute(store, now),
        occupancy=occupancy(store),
        conflicts=[conflict_view(c) for c in store.conflicts(CONFLICTS_SHOWN)],
        conflict_total=store.conflict_count(),
        rejected=[scan_view(r) for r in queries.rejected_scans(store, REJECTED_SHOWN)],
    )
