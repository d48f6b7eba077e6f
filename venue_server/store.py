"""The venue's durable state in one SQLite file: its cloud link, manifest, devices and scans.

Every write is one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``) on a WAL database with
``synchronous=FULL``, so a power cut leaves either all of a write or none of it. One connection
serves every thread behind a lock: Litestar's handler threads and the sync job share it, and
other processes (``bilten venue pairing-code`` while the server runs) go through SQLite's own
file locking.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from shared.messages import EventEntry, PublicKeyEntry, ScanRecord, TicketEntry
from shared.reasons import Reason
from shared.rules import split_admissions
from shared.sqlite import migrate, open_durable, write_transaction
from venue_server.errors import PairingRefused

# Each entry moves the schema one version up; entries are never edited once released.
MIGRATIONS: list[list[str]] = [
    [
        "CREATE TABLE config (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE events (
            event_id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            starts_at INTEGER NOT NULL,
            ends_at INTEGER NOT NULL,
            venue_name TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE public_keys (
            key_id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL,
            public_key TEXT NOT NULL
        )""",
        # seq is this venue's own change counter: scanners page the manifest by it.
        """CREATE TABLE tickets (
            ticket_id TEXT PRIMARY KEY,
            event_id INTEGER NOT NULL,
            type_id INTEGER NOT NULL,
            type_name TEXT NOT NULL,
            holder_name TEXT NOT NULL DEFAULT '',
            revoked INTEGER NOT NULL DEFAULT 0,
            seq INTEGER NOT NULL UNIQUE
        )""",
        # AUTOINCREMENT: an arrival number is never reused, so feed cursors stay valid.
        """CREATE TABLE scans (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            scan_id TEXT NOT NULL UNIQUE,
            device_id TEXT NOT NULL,
            gate TEXT NOT NULL,
            event_id INTEGER,
            ticket_id TEXT,
            reason TEXT NOT NULL,
            hlc TEXT NOT NULL,
            scanned_at_ms INTEGER NOT NULL,
            record BLOB NOT NULL,
            received_at_ms INTEGER NOT NULL,
            uploaded INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX scans_pending ON scans (seq) WHERE uploaded = 0",
        "CREATE INDEX scans_ticket ON scans (ticket_id)",
        """CREATE TRIGGER scans_immutable
            BEFORE UPDATE OF scan_id, device_id, gate, event_id, ticket_id, reason, hlc,
                scanned_at_ms, record, received_at_ms ON scans
            BEGIN SELECT RAISE(ABORT, 'scan records are immutable'); END""",
        """CREATE TRIGGER scans_kept
            BEFORE DELETE ON scans
            BEGIN SELECT RAISE(ABORT, 'scan records are never deleted'); END""",
        """CREATE TABLE devices (
            device_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            gate TEXT NOT NULL,
            token_sha256 TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            last_seen INTEGER,
            revoked_at INTEGER
        )""",
        """CREATE TABLE pairing_codes (
            code_sha256 TEXT PRIMARY KEY,
            gate TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER,
            device_id TEXT
        )""",
    ],
    # What gates need to decide multi-entry, re-entry and validity windows, and to find a
    # ticket by the holder's email or order number. Scan records already keep direction,
    # zone, manual, note and staff whole in their ``record``.
    [
        "ALTER TABLE tickets ADD COLUMN holder_email TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE tickets ADD COLUMN order_ref TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE tickets ADD COLUMN max_entries INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE tickets ADD COLUMN reentry INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE tickets ADD COLUMN valid_from INTEGER",
        "ALTER TABLE tickets ADD COLUMN valid_until INTEGER",
    ],
    # The manager's dashboard: device heartbeats, manager login, the cloud sync's progress,
    # conflicts kept as they are found, and occupancy counted as scans arrive.
    [
        # Server clock minus device clock at the device's last request, and the manifest
        # cursor it reported: what the readiness board checks before doors open.
        "ALTER TABLE devices ADD COLUMN clock_offset_ms INTEGER",
        "ALTER TABLE devices ADD COLUMN manifest_cursor TEXT",
        """CREATE TABLE manager_sessions (
            token_sha256 TEXT PRIMARY KEY,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        )""",
        # One row per admission flagged because its ticket had no entry left; the winner is
        # the admission that counts. Derived from scans (never the other way round), so a late
        # scan may replace a row.
        """CREATE TABLE conflicts (
            scan_id TEXT PRIMARY KEY,
            winner_scan_id TEXT NOT NULL,
            event_id INTEGER,
            ticket_id TEXT NOT NULL,
            detected_at_ms INTEGER NOT NULL
        )""",
        "CREATE INDEX conflicts_ticket ON conflicts (ticket_id)",
        # Admissions and exits per zone, counted as scans arrive (scans are never changed or
        # deleted, so the counts stay exact); filled here from the scans already held.
        """CREATE TABLE zone_counts (
            zone TEXT PRIMARY KEY,
            entries INTEGER NOT NULL DEFAULT 0,
            exits INTEGER NOT NULL DEFAULT 0
        )""",
        """INSERT INTO zone_counts (zone, entries, exits)
            SELECT COALESCE(json_extract(CAST(record AS TEXT), '$.zone'), ''),
                SUM(reason = 'admitted'), SUM(reason = 'exited')
            FROM scans WHERE reason IN ('admitted', 'exited') GROUP BY 1""",
        "CREATE INDEX scans_admitted_time ON scans (scanned_at_ms) WHERE reason = 'admitted'",
        "CREATE INDEX scans_rejected ON scans (seq) WHERE reason NOT IN ('admitted', 'exited')",
        # Conflicts among scans already held are found in Python (the shared rules) on open.
        "INSERT INTO config (key, value) SELECT 'conflicts_backfill', '1' "
        "WHERE EXISTS (SELECT 1 FROM scans)",
    ],
    # Which paired device handed each scan over: a gate paired again uploads the scans it
    # made under its earlier pairing, whose device id the records keep. NULL: stored before.
    [
        "ALTER TABLE scans ADD COLUMN uploaded_by TEXT",
        "DROP TRIGGER scans_immutable",
        """CREATE TRIGGER scans_immutable
            BEFORE UPDATE OF scan_id, device_id, gate, event_id, ticket_id, reason, hlc,
                scanned_at_ms, record, received_at_ms, uploaded_by ON scans
            BEGIN SELECT RAISE(ABORT, 'scan records are immutable'); END""",
    ],
]

_CLOUD_URL = "cloud_url"
_CLOUD_KEY = "cloud_api_key"
_VENUE_NAME = "venue_name"
_CLOUD_CURSOR = "cloud_cursor"
_MANAGER_LOGIN = "manager_login"
_CONFLICTS_BACKFILL = "conflicts_backfill"
_SYNC_OK_AT = "sync_ok_at"
_SYNC_OK_DETAIL = "sync_ok_detail"
_SYNC_ERROR = "sync_error"
_SYNC_ERROR_AT = "sync_error_at"
_PULL_DONE = "pull_done"
_PULL_REMAINING = "pull_remaining"
# A ticket the manifest does not hold yet is judged as gates judge it: single entry.
_UNLISTED_LIMITS = (1, False)
_MOVEMENTS = (Reason.ADMITTED.value, Reason.EXITED.value)

_record_decoder = msgspec.json.Decoder(ScanRecord)

# The columns that hold a TicketEntry, in its field order.
_TICKET_FIELDS = (
    "ticket_id",
    "event_id",
    "type_id",
    "type_name",
    "holder_name",
    "holder_email",
    "order_ref",
    "revoked",
    "max_entries",
    "reentry",
    "valid_from",
    "valid_until",
)
_TICKET_COLUMNS = ", ".join(_TICKET_FIELDS)
# An upsert that leaves a ticket the cloud sent again unchanged alone, seq included, so
# scanners do not download it again.
_UPSERT_TICKET = (
    f"INSERT INTO tickets ({_TICKET_COLUMNS}, seq) "  # noqa: S608 - column names are ours
    f"VALUES ({', '.join('?' * (len(_TICKET_FIELDS) + 1))}) "
    "ON CONFLICT (ticket_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in (*_TICKET_FIELDS[1:], "seq"))
    + " WHERE "
    + " OR ".join(f"{c} IS NOT excluded.{c}" for c in _TICKET_FIELDS[1:])
)


def _ticket_row(t: TicketEntry) -> tuple[object, ...]:
    values = (getattr(t, name) for name in _TICKET_FIELDS)
    return tuple(int(v) if isinstance(v, bool) else v for v in values)


def _ticket_entry(row: Sequence[Any]) -> TicketEntry:
    fields = dict(zip(_TICKET_FIELDS, row, strict=True))
    fields["revoked"] = bool(fields["revoked"])
    fields["reentry"] = bool(fields["reentry"])
    return TicketEntry(**fields)


@dataclass(frozen=True, slots=True)
class CloudLink:
    url: str
    api_key: str
    venue_name: str


@dataclass(frozen=True, slots=True)
class Device:
    device_id: str
    name: str
    gate: str
    created_at: int
    last_seen: int | None = None
    revoked_at: int | None = None
    # From the device's last heartbeat headers (docs/protocol.md): server clock minus device
    # clock, and the manifest cursor the device holds.
    clock_offset_ms: int | None = None
    manifest_cursor: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class SyncState:
    """The cloud sync as last recorded, kept across restarts for the manager's dashboard."""

    last_ok_at: float | None = None
    last_ok_detail: str = ""
    last_error: str | None = None
    last_error_at: float | None = None
    pull_done: int | None = None
    pull_remaining: int | None = None


@dataclass(frozen=True, slots=True)
class Conflict:
    """An admission flagged because its ticket had no entry left, beside the one that counts."""

    event_id: int | None
    ticket_id: str
    holder_name: str
    type_name: str
    counted: ScanRecord
    flagged: ScanRecord
    detected_at_ms: int


@dataclass(frozen=True, slots=True)
class StoredScans:
    """What one upload did: the records that are new here, and how many were already held."""

    new: list[ScanRecord]
    duplicates: int
    held_ids: list[str]


class VenueStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = open_durable(path, busy_timeout_ms=10_000)
        migrate(self._conn, path, MIGRATIONS)
        self._backfill_conflicts()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, write_transaction(self._conn) as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        # A read transaction, so several SELECTs see one snapshot.
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield self._conn
            finally:
                self._conn.execute("COMMIT")

    @contextmanager
    def read_transaction(self) -> Iterator[sqlite3.Connection]:
        """One consistent read of the file, for read-only queries kept next to the code that
        shows their results (``venue_server.dashboard.queries``); never write through it."""
        with self._read() as conn:
            yield conn

    def schema_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT version FROM schema_version").fetchone()[0])

    # -- cloud link -------------------------------------------------------------------------

    def _config(self, conn: sqlite3.Connection, key: str) -> str | None:
        row = conn.execute("SELECT value FROM config WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def _set_config(conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute(
            "INSERT INTO config (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def set_cloud_link(self, link: CloudLink) -> None:
        with self._write() as conn:
            previous = self._config(conn, _CLOUD_URL)
            for key, value in (
                (_CLOUD_URL, link.url),
                (_CLOUD_KEY, link.api_key),
                (_VENUE_NAME, link.venue_name),
            ):
                self._set_config(conn, key, value)
            if previous is not None and previous != link.url:
                # Another cloud's cursor means nothing here: start its manifest from the top.
                conn.execute("DELETE FROM config WHERE key = ?", (_CLOUD_CURSOR,))

    def cloud_link(self) -> CloudLink | None:
        with self._read() as conn:
            url = self._config(conn, _CLOUD_URL)
            key = self._config(conn, _CLOUD_KEY)
            name = self._config(conn, _VENUE_NAME) or ""
        if url is None or key is None:
            return None
        return CloudLink(url, key, name)

    def venue_name(self) -> str:
        with self._read() as conn:
            return self._config(conn, _VENUE_NAME) or ""

    # -- manifest ---------------------------------------------------------------------------

    def cloud_cursor(self) -> str:
        with self._read() as conn:
            return self._config(conn, _CLOUD_CURSOR) or ""

    def apply_manifest(
        self,
        events: Iterable[EventEntry],
        keys: Iterable[PublicKeyEntry],
        tickets: Iterable[TicketEntry],
        cloud_cursor: str,
        now_ms: int | None = None,
    ) -> int:
        """Upsert one cloud manifest page and its cursor together; returns tickets changed.

        Events and keys are upserted, never dropped: a key a gate might still meet at the door
        is harmless to keep. A ticket that comes back unchanged keeps its seq, so scanners do
        not download it again. A changed ticket that was already scanned has its conflicts
        settled again, since its entry allowance may have changed.
        """
        changed = 0
        touched: list[tuple[int, str]] = []
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO events (event_id, name, starts_at, ends_at, venue_name) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO UPDATE SET "
                "name = excluded.name, starts_at = excluded.starts_at, "
                "ends_at = excluded.ends_at, venue_name = excluded.venue_name",
                [(e.event_id, e.name, e.starts_at, e.ends_at, e.venue_name) for e in events],
            )
            conn.executemany(
                "INSERT INTO public_keys (key_id, event_id, public_key) VALUES (?, ?, ?) "
                "ON CONFLICT (key_id) DO UPDATE SET "
                "event_id = excluded.event_id, public_key = excluded.public_key",
                [(k.key_id, k.event_id, k.public_key) for k in keys],
            )
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM tickets").fetchone()[0]
            for t in tickets:
                seq += 1
                cursor = conn.execute(_UPSERT_TICKET, (*_ticket_row(t), seq))
                changed += cursor.rowcount
                if cursor.rowcount:
                    touched.append((t.event_id, t.ticket_id))
            self._settle_scanned(conn, touched, _now_ms() if now_ms is None else now_ms)
            self._set_config(conn, _CLOUD_CURSOR, cloud_cursor)
        return changed

    def events(self) -> list[EventEntry]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT event_id, name, starts_at, ends_at, venue_name FROM events "
                "ORDER BY event_id"
            ).fetchall()
        return [
            EventEntry(event_id=r[0], name=r[1], starts_at=r[2], ends_at=r[3], venue_name=r[4])
            for r in rows
        ]

    def public_keys(self) -> list[PublicKeyEntry]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT key_id, event_id, public_key FROM public_keys ORDER BY key_id"
            ).fetchall()
        return [PublicKeyEntry(key_id=r[0], event_id=r[1], public_key=r[2]) for r in rows]

    def tickets_after(self, seq: int, limit: int) -> tuple[list[tuple[int, TicketEntry]], int]:
        """Tickets changed after ``seq`` in change order, and how many remain after them."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT seq, {_TICKET_COLUMNS} FROM tickets "  # noqa: S608
                "WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()
            last = rows[-1][0] if rows else seq
            remaining = conn.execute(
                "SELECT COUNT(*) FROM tickets WHERE seq > ?", (last,)
            ).fetchone()[0]
        return [(r[0], _ticket_entry(r[1:])) for r in rows], remaining

    def ticket_count(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0])

    # -- scans ------------------------------------------------------------------------------

    def add_scans(
        self,
        records: Sequence[ScanRecord],
        received_at_ms: int,
        uploaded_by: str | None = None,
    ) -> StoredScans:
        """Store every record not held yet, all in one transaction; replays store nothing.

        ``uploaded_by`` is the paired device that handed the records over (None: not a
        device, e.g. a test or an import).
        """
        new: list[ScanRecord] = []
        held: dict[str, None] = {}
        with self._write() as conn:
            for r in records:
                cursor = conn.execute(
                    "INSERT INTO scans (scan_id, device_id, gate, event_id, ticket_id, reason, "
                    "hlc, scanned_at_ms, record, received_at_ms, uploaded_by) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scan_id) DO NOTHING",
                    (
                        r.scan_id,
                        r.device_id,
                        r.gate,
                        r.event_id,
                        r.ticket_id,
                        r.reason.value,
                        r.hlc,
                        r.scanned_at_ms,
                        msgspec.json.encode(r),
                        received_at_ms,
                        uploaded_by,
                    ),
                )
                if cursor.rowcount:
                    new.append(r)
                held[r.scan_id] = None
            self._count_zones(conn, new)
            moved = {(r.event_id, r.ticket_id) for r in new if r.movement and r.ticket_id}
            for event_id, ticket_id in sorted(moved, key=str):
                self._settle_ticket(conn, event_id, str(ticket_id), received_at_ms)
        return StoredScans(new, len(records) - len(new), list(held))

    def scans_after(self, seq: int, limit: int) -> tuple[list[tuple[int, ScanRecord]], bool]:
        """Scans that arrived after ``seq``, in arrival order, and whether more follow."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT seq, record FROM scans WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit + 1),
            ).fetchall()
        page = [(r[0], _record_decoder.decode(r[1])) for r in rows[:limit]]
        return page, len(rows) > limit

    def last_scan_seq(self) -> int:
        """The feed cursor of the newest scan held (0: none yet): a gate at this cursor has
        every scan. Scans are never deleted, so this only grows."""
        with self._read() as conn:
            return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM scans").fetchone()[0])

    def pending_scans(self, limit: int) -> list[ScanRecord]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT record FROM scans WHERE uploaded = 0 ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [_record_decoder.decode(r[0]) for r in rows]

    def mark_uploaded(self, scan_ids: Iterable[str]) -> int:
        with self._write() as conn:
            cursor = conn.executemany(
                "UPDATE scans SET uploaded = 1 WHERE scan_id = ? AND uploaded = 0",
                [(scan_id,) for scan_id in scan_ids],
            )
            return cursor.rowcount

    def oldest_pending_received_ms(self) -> int | None:
        """When the oldest scan the cloud has not acknowledged arrived here; None: none."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT received_at_ms FROM scans WHERE uploaded = 0 ORDER BY seq LIMIT 1"
            ).fetchone()
        return None if row is None else int(row[0])

    def ping(self) -> None:
        """Read from the database; raises sqlite3.Error when it cannot."""
        with self._read() as conn:
            conn.execute("SELECT 1 FROM config LIMIT 1").fetchall()

    def scan_counts(self) -> tuple[int, int]:
        """All scans held, and those not yet acknowledged by the cloud."""
        with self._read() as conn:
            total, pending = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(uploaded = 0), 0) FROM scans"
            ).fetchone()
        return int(total), int(pending)

    # -- devices and pairing ----------------------------------------------------------------

    def add_pairing_code(self, code_sha256: str, gate: str, now: int, expires_at: int) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO pairing_codes (code_sha256, gate, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (code_sha256, gate, now, expires_at),
            )

    def redeem_pairing_code(
        self, code_sha256: str, device_id: str, name: str, token_sha256: str, now: int
    ) -> Device:
        """Use a code once and create its device, together or not at all."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT gate, expires_at, used_at FROM pairing_codes WHERE code_sha256 = ?",
                (code_sha256,),
            ).fetchone()
            if row is None:
                raise PairingRefused("unknown pairing code")
            gate, expires_at, used_at = row
            if used_at is not None:
                raise PairingRefused("this pairing code has already been used")
            if now >= expires_at:
                raise PairingRefused("this pairing code has expired; make a new one")
            conn.execute(
                "UPDATE pairing_codes SET used_at = ?, device_id = ? WHERE code_sha256 = ?",
                (now, device_id, code_sha256),
            )
            conn.execute(
                "INSERT INTO devices (device_id, name, gate, token_sha256, created_at, last_seen) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (device_id, name, gate, token_sha256, now, now),
            )
        return Device(device_id, name, gate, now, now)

    _DEVICE_COLUMNS = (
        "device_id, name, gate, created_at, last_seen, revoked_at, clock_offset_ms, manifest_cursor"
    )

    def device_by_token(self, token_sha256: str) -> Device | None:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {self._DEVICE_COLUMNS} FROM devices WHERE token_sha256 = ?",  # noqa: S608
                (token_sha256,),
            ).fetchone()
        return None if row is None else Device(*row)

    def devices(self) -> list[Device]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {self._DEVICE_COLUMNS} FROM devices ORDER BY created_at, device_id"  # noqa: S608
            ).fetchall()
        return [Device(*row) for row in rows]

    def live_devices(self, device_ids: Iterable[str]) -> set[str]:
        """Those of ``device_ids`` that are paired here and not revoked."""
        wanted = sorted(set(device_ids))
        if not wanted:
            return set()
        marks = ", ".join("?" * len(wanted))
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT device_id FROM devices WHERE revoked_at IS NULL "  # noqa: S608
                f"AND device_id IN ({marks})",
                wanted,
            ).fetchall()
        return {row[0] for row in rows}

    def touch_device(self, device_id: str, now: int) -> None:
        with self._write() as conn:
            conn.execute("UPDATE devices SET last_seen = ? WHERE device_id = ?", (now, device_id))

    def revoke_device(self, device_id: str, now: int) -> bool:
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE devices SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL",
                (now, device_id),
            )
            return cursor.rowcount == 1

    def device(self, device_id: str) -> Device | None:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {self._DEVICE_COLUMNS} FROM devices WHERE device_id = ?",  # noqa: S608
                (device_id,),
            ).fetchone()
        return None if row is None else Device(*row)

    def record_heartbeat(
        self,
        device_id: str,
        now: int,
        clock_offset_ms: int | None = None,
        manifest_cursor: str | None = None,
    ) -> None:
        """A device's request: when, and what its clock and manifest said (if it told)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE devices SET last_seen = ?, "
                "clock_offset_ms = COALESCE(?, clock_offset_ms), "
                "manifest_cursor = COALESCE(?, manifest_cursor) WHERE device_id = ?",
                (now, clock_offset_ms, manifest_cursor, device_id),
            )

    def rename_device(self, device_id: str, name: str) -> bool:
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE devices SET name = ? WHERE device_id = ?", (name, device_id)
            )
            return cursor.rowcount == 1

    def set_device_gate(self, device_id: str, gate: str) -> bool:
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE devices SET gate = ? WHERE device_id = ?", (gate, device_id)
            )
            return cursor.rowcount == 1

    # -- manager login ----------------------------------------------------------------------

    def manager_password_hash(self) -> str | None:
        with self._read() as conn:
            return self._config(conn, _MANAGER_LOGIN)

    def set_manager_password_hash(self, hashed: str) -> None:
        """Set the manager password and end every session opened with the old one."""
        with self._write() as conn:
            self._set_config(conn, _MANAGER_LOGIN, hashed)
            conn.execute("DELETE FROM manager_sessions")

    def add_manager_session(self, token_sha256: str, now: int, expires_at: int) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM manager_sessions WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT INTO manager_sessions (token_sha256, created_at, expires_at) "
                "VALUES (?, ?, ?)",
                (token_sha256, now, expires_at),
            )

    def manager_session_active(self, token_sha256: str, now: int) -> bool:
        with self._read() as conn:
            row = conn.execute(
                "SELECT 1 FROM manager_sessions WHERE token_sha256 = ? AND expires_at > ?",
                (token_sha256, now),
            ).fetchone()
        return row is not None

    def end_manager_session(self, token_sha256: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM manager_sessions WHERE token_sha256 = ?", (token_sha256,))

    # -- cloud sync progress ----------------------------------------------------------------

    def record_sync_result(self, ok: bool, at: float, detail: str) -> None:
        """One finished sync round: a good one moves the last good sync time, a failed one
        keeps its error (shown while no later round has succeeded)."""
        with self._write() as conn:
            if ok:
                self._set_config(conn, _SYNC_OK_AT, repr(float(at)))
                self._set_config(conn, _SYNC_OK_DETAIL, detail)
            else:
                self._set_config(conn, _SYNC_ERROR, detail)
                self._set_config(conn, _SYNC_ERROR_AT, repr(float(at)))

    def record_pull_progress(self, done: int, remaining: int) -> None:
        """How far the manifest pull has come: tickets received so far, and still to come."""
        with self._write() as conn:
            self._set_config(conn, _PULL_DONE, str(int(done)))
            self._set_config(conn, _PULL_REMAINING, str(int(remaining)))

    def sync_state(self) -> SyncState:
        with self._read() as conn:
            values = {
                key: self._config(conn, key)
                for key in (
                    _SYNC_OK_AT,
                    _SYNC_OK_DETAIL,
                    _SYNC_ERROR,
                    _SYNC_ERROR_AT,
                    _PULL_DONE,
                    _PULL_REMAINING,
                )
            }

        def number(key: str, kind: type[float] | type[int]) -> Any:
            raw = values[key]
            return None if raw is None else kind(raw)

        return SyncState(
            last_ok_at=number(_SYNC_OK_AT, float),
            last_ok_detail=values[_SYNC_OK_DETAIL] or "",
            last_error=values[_SYNC_ERROR],
            last_error_at=number(_SYNC_ERROR_AT, float),
            pull_done=number(_PULL_DONE, int),
            pull_remaining=number(_PULL_REMAINING, int),
        )

    # -- conflicts and where the venue stands -----------------------------------------------

    def _settle_ticket(
        self, conn: sqlite3.Connection, event_id: int | None, ticket_id: str, now_ms: int
    ) -> None:
        """Bring one ticket's conflict rows in line with its scans and entry allowance.

        Every node replays the same movements in the same order (``shared.rules``), so the
        winner does not depend on which gate's scans arrived here first; a late scan may
        still make an earlier admission the winner, and then the rows are replaced.
        """
        limits = conn.execute(
            "SELECT max_entries, reentry FROM tickets WHERE ticket_id = ? AND event_id IS ?",
            (ticket_id, event_id),
        ).fetchone()
        max_entries, reentry = _UNLISTED_LIMITS if limits is None else limits
        rows = conn.execute(
            "SELECT record FROM scans WHERE ticket_id = ? AND event_id IS ? AND reason IN (?, ?)",
            (ticket_id, event_id, *_MOVEMENTS),
        ).fetchall()
        first, rest = split_admissions(
            (_record_decoder.decode(r[0]) for r in rows), max_entries, bool(reentry)
        )
        wanted = {r.scan_id for r in rest}
        winner = first.scan_id if first is not None else None
        known = dict(
            conn.execute(
                "SELECT scan_id, winner_scan_id FROM conflicts "
                "WHERE ticket_id = ? AND event_id IS ?",
                (ticket_id, event_id),
            ).fetchall()
        )
        for scan_id, known_winner in known.items():
            if scan_id not in wanted or known_winner != winner:
                conn.execute("DELETE FROM conflicts WHERE scan_id = ?", (scan_id,))
        for scan_id in sorted(wanted):
            if winner is not None and known.get(scan_id) != winner:
                conn.execute(
                    "INSERT INTO conflicts "
                    "(scan_id, winner_scan_id, event_id, ticket_id, detected_at_ms) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (scan_id, winner, event_id, ticket_id, now_ms),
                )

    def _settle_scanned(
        self, conn: sqlite3.Connection, tickets: Sequence[tuple[int, str]], now_ms: int
    ) -> None:
        """Settle the given tickets again, those that have been scanned at all."""
        for start in range(0, len(tickets), 500):
            chunk = tickets[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            scanned = {
                (r[0], r[1])
                for r in conn.execute(
                    "SELECT DISTINCT event_id, ticket_id FROM scans "  # noqa: S608
                    f"WHERE ticket_id IN ({marks})",
                    [ticket_id for _, ticket_id in chunk],
                )
            }
            for event_id, ticket_id in chunk:
                if (event_id, ticket_id) in scanned:
                    self._settle_ticket(conn, event_id, ticket_id, now_ms)

    def _backfill_conflicts(self) -> None:
        """Find conflicts among the scans a file held before it kept a conflict table."""
        with self._write() as conn:
            if self._config(conn, _CONFLICTS_BACKFILL) is None:
                return
            candidates = conn.execute(
                "SELECT event_id, ticket_id FROM scans "
                "WHERE reason = ? AND ticket_id IS NOT NULL "
                "GROUP BY event_id, ticket_id HAVING COUNT(*) > 1",
                (Reason.ADMITTED.value,),
            ).fetchall()
            for event_id, ticket_id in candidates:
                self._settle_ticket(conn, event_id, ticket_id, _now_ms())
            conn.execute("DELETE FROM config WHERE key = ?", (_CONFLICTS_BACKFILL,))

    @staticmethod
    def _count_zones(conn: sqlite3.Connection, records: Iterable[ScanRecord]) -> None:
        for r in records:
            if r.movement:
                entered = int(r.reason is Reason.ADMITTED)
                conn.execute(
                    "INSERT INTO zone_counts (zone, entries, exits) VALUES (?, ?, ?) "
                    "ON CONFLICT (zone) DO UPDATE SET entries = entries + excluded.entries, "
                    "exits = exits + excluded.exits",
                    (r.zone, entered, 1 - entered),
                )

    def conflicts(self, limit: int = 200) -> list[Conflict]:
        """Flagged admissions, newest first, each with the admission that counts."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT c.event_id, c.ticket_id, COALESCE(t.holder_name, ''), "
                "COALESCE(t.type_name, ''), w.record, f.record, c.detected_at_ms "
                "FROM conflicts c "
                "JOIN scans f ON f.scan_id = c.scan_id "
                "JOIN scans w ON w.scan_id = c.winner_scan_id "
                "LEFT JOIN tickets t ON t.ticket_id = c.ticket_id "
                "ORDER BY c.detected_at_ms DESC, f.seq DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            Conflict(
                event_id=r[0],
                ticket_id=r[1],
                holder_name=r[2],
                type_name=r[3],
                counted=_record_decoder.decode(r[4]),
                flagged=_record_decoder.decode(r[5]),
                detected_at_ms=r[6],
            )
            for r in rows
        ]

    def conflict_count(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM conflicts").fetchone()[0])

    def manifest_seq(self) -> int:
        """The cursor a scanner holds once it has every ticket change this venue holds."""
        with self._read() as conn:
            return int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM tickets").fetchone()[0])


def _now_ms() -> int:
    return time.time_ns() // 1_000_000
