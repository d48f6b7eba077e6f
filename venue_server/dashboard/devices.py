"""Paired scanners as the manager sees them: heartbeats, names, gates, revocation, readiness.

Every authenticated scanner request is a heartbeat. It may carry the device's wall clock
(``X-Bilten-Device-Time``) and its manifest cursor (``X-Bilten-Manifest``); its answer tells
the device the name and gate the manager gave it; see docs/protocol.md. A malformed
heartbeat header is ignored rather than refused: the scan upload it rides on matters more
than the dashboard's view of the device.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.assignment import GATE_HEADER, NAME_HEADER, header_value
from venue_server.dashboard import queries
from venue_server.errors import BadRequest
from venue_server.managers import ManagerError
from venue_server.relay import parse_cursor
from venue_server.store import Device, VenueStore

DEVICE_TIME_HEADER = "x-bilten-device-time"
MANIFEST_HEADER = "x-bilten-manifest"
MAX_CURSOR_LENGTH = 64
# A device is online while its last request is this recent (scanners poll every few seconds).
ONLINE_SECONDS = 30
# Clocks further apart than this make scan times and first-admission order misleading.
CLOCK_TOLERANCE_MS = 2000
# A moved clock or a new manifest is written at once; a steady device at most this often.
_OFFSET_STEP_MS = 250
_MAX_DEVICE_TIME_MS = 2**53
MAX_NAME_LENGTH = 64


class UnknownDevice(ManagerError):
    """The dashboard named a device this venue never paired."""


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """What one scanner request said about its device, beyond its token."""

    device_time_ms: int | None = None
    manifest_cursor: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Heartbeat:
        return cls(
            device_time_ms=_device_time(headers.get(DEVICE_TIME_HEADER)),
            manifest_cursor=_cursor(headers.get(MANIFEST_HEADER)),
        )

    def clock_offset_ms(self, server_ms: int) -> int | None:
        """Server clock minus device clock. The request's one-way LAN delay (milliseconds) is
        ignored: it is far below the tolerance the readiness board checks."""
        return None if self.device_time_ms is None else server_ms - self.device_time_ms


def _device_time(raw: str | None) -> int | None:
    if raw is None or not raw.strip().isdigit() or not raw.isascii():
        return None
    value = int(raw.strip())
    return value if 0 < value < _MAX_DEVICE_TIME_MS else None


def _cursor(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = raw.strip()
    if len(text) > MAX_CURSOR_LENGTH or not text.isascii() or not text.isprintable():
        return None
    return text


def note_request(store: VenueStore, device: Device, beat: Heartbeat, server_ms: int) -> None:
    """Record a heartbeat when it tells something new: the device's clock moved or its
    manifest changed. Plain last-seen updates are left to device authentication, which
    writes them at most every few seconds."""
    offset = beat.clock_offset_ms(server_ms)
    offset_moved = offset is not None and (
        device.clock_offset_ms is None or abs(offset - device.clock_offset_ms) >= _OFFSET_STEP_MS
    )
    manifest_moved = (
        beat.manifest_cursor is not None and beat.manifest_cursor != device.manifest_cursor
    )
    if offset_moved or manifest_moved:
        store.record_heartbeat(device.device_id, server_ms // 1000, offset, beat.manifest_cursor)


def assignment_headers(device: Device) -> list[tuple[bytes, bytes]]:
    """What every answer to the device's requests tells it: its name and gate as the manager
    last set them (see shared.assignment)."""
    return [
        (NAME_HEADER.lower().encode(), header_value(device.name).encode("ascii")),
        (GATE_HEADER.lower().encode(), header_value(device.gate).encode("ascii")),
    ]


# -- the manager's actions -------------------------------------------------------------------


def _label(text: str, what: str) -> str:
    value = " ".join(str(text).split())
    if not 1 <= len(value) <= MAX_NAME_LENGTH:
        raise BadRequest(f"a {what} has 1 to {MAX_NAME_LENGTH} characters")
    return value


def _known(store: VenueStore, device_id: str) -> Device:
    device = store.device(device_id)
    if device is None:
        raise UnknownDevice(f"no device {device_id!r} is paired with this venue")
    return device


def rename(store: VenueStore, device_id: str, name: str) -> Device:
    _known(store, device_id)
    store.rename_device(device_id, _label(name, "device name"))
    return _known(store, device_id)


def set_gate(store: VenueStore, device_id: str, gate: str) -> Device:
    _known(store, device_id)
    store.set_device_gate(device_id, _label(gate, "gate name"))
    return _known(store, device_id)


def revoke(store: VenueStore, device_id: str, now: int) -> Device:
    """Refuse the device from its next request on; revoking twice changes nothing."""
    _known(store, device_id)
    store.revoke_device(device_id, now)
    return _known(store, device_id)


# -- readiness -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    text: str


def is_online(device: Device, now: float) -> bool:
    return (
        not device.revoked
        and device.last_seen is not None
        and now - device.last_seen < ONLINE_SECONDS
    )


def tickets_behind(store: VenueStore, device: Device, server_seq: int) -> int | None:
    """Ticket changes this venue holds that the device has not pulled; None if unknown."""
    if device.manifest_cursor is None:
        return None
    try:
        held = parse_cursor(device.manifest_cursor)
    except BadRequest:
        return None
    return 0 if held >= server_seq else queries.tickets_changed_after(store, held)


def describe_offset(offset_ms: int) -> str:
    seconds = abs(offset_ms) / 1000
    if abs(offset_ms) < 1000:
        return f"clock within {abs(offset_ms)} ms"
    # Positive offset: the server is ahead, so the device's clock is behind.
    return f"clock {seconds:.1f} s {'slow' if offset_ms > 0 else 'fast'}"


def readiness(device: Device, behind: int | None, now: float) -> list[Check]:
    """What must hold before doors open: a fresh manifest, a right clock, a live device."""
    checks: list[Check] = []
    if behind is None:
        checks.append(Check(False, "manifest version not reported yet"))
    elif behind:
        checks.append(Check(False, f"manifest {behind} ticket change(s) behind"))
    else:
        checks.append(Check(True, "manifest up to date"))
    offset = device.clock_offset_ms
    if offset is None:
        checks.append(Check(False, "clock not reported yet"))
    else:
        checks.append(Check(abs(offset) <= CLOCK_TOLERANCE_MS, describe_offset(offset)))
    if is_online(device, now):
        checks.append(Check(True, "online"))
    elif device.last_seen is None:
        checks.append(Check(False, "never seen"))
    else:
        checks.append(Check(False, f"offline for {int(now - device.last_seen)} s"))
    return checks
