"""The scanner's local SQLite database: pairing, the offline manifest and every scan.

One connection guarded by a lock serves the UI thread (scans) and the sync thread. Each own
scan is committed on its own with ``synchronous=FULL`` before the caller may show a verdict,
so a power cut right after the verdict loses nothing. Scan rows are immutable (triggers refuse
updates and deletes); only the ``uploaded`` flag of own scans may go from 0 to 1.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner_app.errors import StoreError
from shared.messages import EventEntry, ManifestPage, PublicKeyEntry, ScanRecord, TicketEntry
from shared.reasons import Reason
from shared.sqlite import SchemaTooNew, migrate, open_durable, split_script, write_transaction

MANIFEST_CURSOR = "manifest"
FEED_CURSOR = "feed"

_SCHEMA = """
CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (
    event_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    venue_name TEXT NOT NULL
);
CREATE TABLE public_keys (
    key_id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL,
    public_key TEXT NOT NULL
);
CREATE TABLE tickets (
    ticket_id TEXT PRIMARY KEY,
    event_id INTEGER NOT NULL,
    type_id INTEGER NOT NULL,
    type_name TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    revoked INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE scans (
    scan_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    device_name TEXT NOT NULL,
    gate TEXT NOT NULL,
    hlc TEXT NOT NULL,
    scanned_at_ms INTEGER NOT NULL,
    reason TEXT NOT NULL,
    event_id INTEGER,
    ticket_id TEXT,
    raw TEXT,
    own INTEGER NOT NULL,
    uploaded INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scans_by_ticket ON scans (ticket_id, reason);
CREATE INDEX scans_pending ON scans (hlc) WHERE own = 1 AND uploaded = 0;
CREATE INDEX scans_by_hlc ON scans (hlc);
CREATE TRIGGER scans_no_delete BEFORE DELETE ON scans
BEGIN SELECT RAISE(ABORT, 'scan records are immutable'); END;
CREATE TRIGGER scans_no_update BEFORE UPDATE OF
    scan_id, device_id, device_name, gate, hlc, scanned_at_ms, reason, event_id, ticket_id,
    raw, own ON scans
BEGIN SELECT RAISE(ABORT, 'scan records are immutable'); END;
CREATE TRIGGER scans_upload_once BEFORE UPDATE OF uploaded ON scans
WHEN NEW.uploaded < OLD.uploaded OR OLD.own = 0
BEGIN SELECT RAISE(ABORT, 'only own scans are uploaded, once'); END;
CREATE TABLE cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_MIGRATIONS = [split_script(_SCHEMA)]

_SCAN_COLUMNS = (
    "scan_id, device_id, device_name, gate, hlc, scanned_at_ms, reason, event_id, ticket_id, raw"
)


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """What pairing with a venue server gave this device."""

    device_id: str
    device_token: str
    venue_url: str
    device_name: str
    gate: str
    venue_name: str


_DEVICE_FIELDS = tuple(DeviceConfig.__dataclass_fields__)


def _row_to_scan(row: Sequence[Any]) -> ScanRecord:
    scan_id, device_id, device_name, gate, hlc, at_ms, reason, event_id, ticket_id, raw = row
    return ScanRecord(
        scan_id=scan_id,
        device_id=device_id,
        device_name=device_name,
        gate=gate,
        hlc=hlc,
        scanned_at_ms=at_ms,
        reason=Reason(reason),
        event_id=event_id,
        ticket_id=ticket_id,
        raw=raw,
    )


def _scan_values(record: ScanRecord) -> tuple[object, ...]:
    return (
        record.scan_id,
        record.device_id,
        record.device_name,
        record.gate,
        record.hlc,
        record.scanned_at_ms,
        record.reason.value,
        record.event_id,
        record.ticket_id,
        record.raw,
    )


class Store:
    """The scanner's SQLite file. Safe to share between the UI thread and one sync thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        # Bumped whenever events or keys change, so the core knows to rebuild its caches.
        self._generation = 0
        try:
            self._conn = open_durable(path, busy_timeout_ms=5000)
            migrate(self._conn, path, _MIGRATIONS)
        except SchemaTooNew as exc:
            raise StoreError(
                f"{path} was written by a newer scanner (schema {exc.found}); update this scanner"
            ) from exc
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the scanner database {path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @property
    def generation(self) -> int:
        return self._generation

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One durable transaction; on any database error nothing of it is kept. Callers turn
        sqlite3 errors into a StoreError that says what was not saved."""
        with self._lock, write_transaction(self._conn) as conn:
            yield conn

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"scanner database read failed: {exc}") from exc

    # -- pairing ---------------------------------------------------------------------------

    def device(self) -> DeviceConfig | None:
        rows = dict(self._read("SELECT key, value FROM config"))
        if not all(field in rows for field in _DEVICE_FIELDS):
            return None
        return DeviceConfig(**{field: str(rows[field]) for field in _DEVICE_FIELDS})

    def save_device(self, device: DeviceConfig) -> None:
        """Pairing again (e.g. with another venue) starts the manifest and feed afresh."""
        try:
            with self._write() as conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO config (key, value) VALUES (?, ?)",
                    [(field, getattr(device, field)) for field in _DEVICE_FIELDS],
                )
                conn.execute("DELETE FROM cursors")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot save the pairing: {exc}") from exc

    # -- manifest --------------------------------------------------------------------------

    def apply_manifest_page(self, page: ManifestPage) -> None:
        """Upsert one page and move the manifest cursor past it, all or nothing."""
        try:
            with self._write() as conn:
                conn.executemany(
                    "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?)",
                    [
                        (e.event_id, e.name, e.starts_at, e.ends_at, e.venue_name)
                        for e in page.events
                    ],
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO public_keys VALUES (?, ?, ?)",
                    [(k.key_id, k.event_id, k.public_key) for k in page.keys],
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO tickets VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (
                            t.ticket_id,
                            t.event_id,
                            t.type_id,
                            t.type_name,
                            t.holder_name,
                            int(t.revoked),
                        )
                        for t in page.tickets
                    ],
                )
                self._set_cursor(conn, MANIFEST_CURSOR, page.next_cursor)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot apply a manifest page: {exc}") from exc
        if page.events or page.keys:
            self._generation += 1

    def events(self) -> list[EventEntry]:
        rows = self._read(
            "SELECT event_id, name, starts_at, ends_at, venue_name FROM events ORDER BY event_id"
        )
        return [
            EventEntry(event_id=r[0], name=r[1], starts_at=r[2], ends_at=r[3], venue_name=r[4])
            for r in rows
        ]

    def public_keys(self) -> list[PublicKeyEntry]:
        rows = self._read("SELECT key_id, event_id, public_key FROM public_keys ORDER BY key_id")
        return [PublicKeyEntry(key_id=r[0], event_id=r[1], public_key=r[2]) for r in rows]

    def ticket(self, ticket_ref: str) -> TicketEntry | None:
        rows = self._read(
            "SELECT ticket_id, event_id, type_id, type_name, holder_name, revoked "
            "FROM tickets WHERE ticket_id = ?",
            (ticket_ref,),
        )
        if not rows:
            return None
        r = rows[0]
        return TicketEntry(
            ticket_id=r[0],
            event_id=r[1],
            type_id=r[2],
            type_name=r[3],
            holder_name=r[4],
            revoked=bool(r[5]),
        )

    def ticket_count(self) -> int:
        return int(self._read("SELECT count(*) FROM tickets")[0][0])

    # -- scans -----------------------------------------------------------------------------

    def add_own_scan(self, record: ScanRecord) -> None:
        """Commit one scan made on this device; returns only once it is on disk."""
        try:
            with self._write() as conn:
                conn.execute(
                    f"INSERT INTO scans ({_SCAN_COLUMNS}, own) VALUES (?,?,?,?,?,?,?,?,?,?,1)",  # noqa: S608
                    _scan_values(record),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"the scan could not be recorded: {exc}") from exc

    def add_feed_scans(self, records: Iterable[ScanRecord], next_cursor: str) -> int:
        """Store scans the venue relayed (duplicates ignored) and move the feed cursor."""
        try:
            with self._write() as conn:
                before = conn.total_changes
                conn.executemany(
                    f"INSERT OR IGNORE INTO scans ({_SCAN_COLUMNS}, own, uploaded) "  # noqa: S608
                    "VALUES (?,?,?,?,?,?,?,?,?,?,0,0)",
                    [_scan_values(r) for r in records],
                )
                inserted = conn.total_changes - before
                self._set_cursor(conn, FEED_CURSOR, next_cursor)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot store relayed scans: {exc}") from exc
        return inserted

    def admissions(self, ticket_ref: str) -> list[ScanRecord]:
        """Every known admission of one ticket, from any gate."""
        rows = self._read(
            f"SELECT {_SCAN_COLUMNS} FROM scans WHERE ticket_id = ? AND reason = ?",  # noqa: S608
            (ticket_ref, Reason.ADMITTED.value),
        )
        return [_row_to_scan(r) for r in rows]

    def scan(self, scan_id: str) -> ScanRecord | None:
        rows = self._read(
            f"SELECT {_SCAN_COLUMNS} FROM scans WHERE scan_id = ?",  # noqa: S608
            (scan_id,),
        )
        return _row_to_scan(rows[0]) if rows else None

    def recent_scans(self, limit: int = 50) -> list[ScanRecord]:
        rows = self._read(
            f"SELECT {_SCAN_COLUMNS} FROM scans ORDER BY hlc DESC LIMIT ?",  # noqa: S608
            (limit,),
        )
        return [_row_to_scan(r) for r in rows]

    def pending_scans(self, limit: int) -> list[ScanRecord]:
        rows = self._read(
            f"SELECT {_SCAN_COLUMNS} FROM scans WHERE own = 1 AND uploaded = 0 "  # noqa: S608
            "ORDER BY hlc LIMIT ?",
            (limit,),
        )
        return [_row_to_scan(r) for r in rows]

    def pending_count(self) -> int:
        rows = self._read("SELECT count(*) FROM scans WHERE own = 1 AND uploaded = 0")
        return int(rows[0][0])

    def mark_uploaded(self, scan_ids: Iterable[str]) -> None:
        try:
            with self._write() as conn:
                conn.executemany(
                    "UPDATE scans SET uploaded = 1 WHERE scan_id = ? AND own = 1 AND uploaded = 0",
                    [(scan_id,) for scan_id in scan_ids],
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot mark scans uploaded: {exc}") from exc

    def latest_hlc(self) -> str | None:
        rows = self._read("SELECT max(hlc) FROM scans")
        value = rows[0][0]
        return None if value is None else str(value)

    # -- cursors ---------------------------------------------------------------------------

    def cursor(self, name: str) -> str:
        rows = self._read("SELECT value FROM cursors WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else ""

    @staticmethod
    def _set_cursor(conn: sqlite3.Connection, name: str, value: str) -> None:
        conn.execute("INSERT OR REPLACE INTO cursors (name, value) VALUES (?, ?)", (name, value))
