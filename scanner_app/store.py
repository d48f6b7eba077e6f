"""The scanner's local SQLite database: pairing, the offline manifest and every scan.

One connection guarded by a lock serves the UI thread (scans) and the sync thread. Each own
scan is committed on its own with ``synchronous=FULL`` before the caller may show a verdict,
so a power cut right after the verdict loses nothing. Scan rows are immutable (triggers refuse
updates and deletes); only the ``uploaded`` flag of own scans may go from 0 to 1.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner_app.errors import StoreError
from shared.messages import (
    Direction,
    EventEntry,
    ManifestPage,
    PublicKeyEntry,
    ScanRecord,
    TicketEntry,
)
from shared.reasons import Reason
from shared.sqlite import SchemaTooNew, migrate, open_durable, split_script, write_transaction

log = logging.getLogger(__name__)

MANIFEST_CURSOR = "manifest"
FEED_CURSOR = "feed"
LAST_SYNC = "last_sync"
_SETTINGS_KEY = "gate_settings"

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

# The triggers that keep the search index in step with the tickets. A first load of a big
# event drops them and rebuilds the index once at the end (see Store.apply_manifest_page).
_SEARCH_TRIGGERS = """
CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search (rowid, holder_name, holder_email, order_ref, ticket_id)
    VALUES (NEW.id, NEW.holder_name, NEW.holder_email, NEW.order_ref, NEW.ticket_id);
END;
CREATE TRIGGER tickets_search_update AFTER UPDATE OF holder_name, holder_email, order_ref
ON tickets BEGIN
    INSERT INTO ticket_search (ticket_search, rowid, holder_name, holder_email, order_ref,
        ticket_id)
    VALUES ('delete', OLD.id, OLD.holder_name, OLD.holder_email, OLD.order_ref, OLD.ticket_id);
    INSERT INTO ticket_search (rowid, holder_name, holder_email, order_ref, ticket_id)
    VALUES (NEW.id, NEW.holder_name, NEW.holder_email, NEW.order_ref, NEW.ticket_id);
END;
"""
_SEARCH_PAUSED = "search_paused"
# Ranking every match of a word most holders share (a mail domain) would read the whole
# index; rank the first candidates only.
_SEARCH_CANDIDATES = 500

# Gate modes, manual admissions and attendee search. Tickets move to a rowid table so a
# full-text index (names, emails, order numbers) can follow them through triggers.
_GATE_MODES = """
CREATE TABLE tickets_v2 (
    id INTEGER PRIMARY KEY,
    ticket_id TEXT NOT NULL UNIQUE,
    event_id INTEGER NOT NULL,
    type_id INTEGER NOT NULL,
    type_name TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    holder_email TEXT NOT NULL DEFAULT '',
    order_ref TEXT NOT NULL DEFAULT '',
    revoked INTEGER NOT NULL,
    max_entries INTEGER NOT NULL DEFAULT 1,
    reentry INTEGER NOT NULL DEFAULT 0,
    valid_from INTEGER,
    valid_until INTEGER
);
INSERT INTO tickets_v2 (ticket_id, event_id, type_id, type_name, holder_name, revoked)
SELECT ticket_id, event_id, type_id, type_name, holder_name, revoked FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_v2 RENAME TO tickets;
CREATE VIRTUAL TABLE ticket_search USING fts5(
    holder_name, holder_email, order_ref, ticket_id UNINDEXED,
    content='tickets', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
{search_triggers}
INSERT INTO ticket_search (ticket_search) VALUES ('rebuild');
ALTER TABLE scans ADD COLUMN direction TEXT NOT NULL DEFAULT 'entry';
ALTER TABLE scans ADD COLUMN zone TEXT NOT NULL DEFAULT '';
ALTER TABLE scans ADD COLUMN manual INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN note TEXT;
ALTER TABLE scans ADD COLUMN staff TEXT NOT NULL DEFAULT '';
DROP TRIGGER scans_no_update;
CREATE TRIGGER scans_no_update BEFORE UPDATE OF
    scan_id, device_id, device_name, gate, hlc, scanned_at_ms, reason, event_id, ticket_id,
    raw, own, direction, zone, manual, note, staff ON scans
BEGIN SELECT RAISE(ABORT, 'scan records are immutable'); END;
CREATE INDEX scans_own_time ON scans (scanned_at_ms) WHERE own = 1;
CREATE TABLE ticket_types (
    type_id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL,
    name TEXT NOT NULL
);
INSERT OR IGNORE INTO ticket_types SELECT DISTINCT type_id, event_id, type_name FROM tickets;
"""

_MIGRATIONS = [
    split_script(_SCHEMA),
    split_script(_GATE_MODES.replace("{search_triggers}", _SEARCH_TRIGGERS)),
    # Every scan is written once and this index was read only at start-up: one index less
    # to keep up on each durable check-in.
    ["DROP INDEX scans_by_hlc"],
]

_SCAN_COLUMNS = (
    "scan_id, device_id, device_name, gate, hlc, scanned_at_ms, reason, event_id, ticket_id, raw, "
    "direction, zone, manual, note, staff"
)
_SCAN_PLACEHOLDERS = ", ".join("?" * 15)
_TICKET_COLUMNS = (
    "ticket_id, event_id, type_id, type_name, holder_name, holder_email, order_ref, revoked, "
    "max_entries, reentry, valid_from, valid_until"
)
_MOVEMENTS = (Reason.ADMITTED.value, Reason.EXITED.value)


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


@dataclass(frozen=True, slots=True)
class GateSettings:
    """How staff set this gate up: which way it faces, the gate and zone it stands for (empty
    gate: the one the venue gave at pairing), the ticket types it admits (None: all), who is
    on duty, and how the window behaves."""

    gate: str = ""
    direction: Direction = Direction.ENTRY
    zone: str = ""
    type_ids: frozenset[int] | None = None
    staff: str = ""
    hold_seconds: float = 3.0
    verdict_seconds: float = 2.5
    sound: bool = True
    language: str = ""
    kiosk_pin: str = ""  # scrypt hash of the PIN that leaves kiosk mode; empty: no kiosk PIN

    def to_json(self) -> str:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["direction"] = self.direction.value
        data["type_ids"] = None if self.type_ids is None else sorted(self.type_ids)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> GateSettings:
        """Settings written by any release; a field that is unknown or broken falls back to
        its default on its own, so one bad value never clears the others (such as the PIN)."""
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        settings = cls()
        if not isinstance(data, dict):
            return settings
        for name, value in data.items():
            if name not in cls.__dataclass_fields__:
                continue
            try:
                settings = dataclasses.replace(settings, **{name: _setting(name, value)})
            except (TypeError, ValueError):
                log.warning("ignoring the unreadable gate setting %s", name)
        return settings


def _setting(name: str, value: Any) -> Any:
    """One stored setting in its Python type; raises ValueError or TypeError if unusable."""
    default = getattr(GateSettings(), name)
    if name == "direction":
        return Direction(value)
    if name == "type_ids":
        return None if value is None else frozenset(int(v) for v in value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError(name)
        return value
    if isinstance(default, float):
        return float(value)
    if not isinstance(value, str):
        raise TypeError(name)
    return value


@dataclass(slots=True)
class StepCount:
    steps: int = 0


@dataclass(frozen=True, slots=True)
class TicketType:
    type_id: int
    event_id: int
    name: str


def _row_to_scan(row: Sequence[Any]) -> ScanRecord:
    (scan_id, device_id, device_name, gate, hlc, at_ms, reason, event_id, ticket_id, raw) = row[:10]
    direction, zone, manual, note, staff = row[10:]
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
        direction=Direction(direction),
        zone=zone,
        manual=bool(manual),
        note=note,
        staff=staff,
    )


def _row_to_ticket(row: Sequence[Any]) -> TicketEntry:
    (ticket_id, event_id, type_id, type_name, name, email, order_ref, revoked, max_entries) = row[
        :9
    ]
    reentry, valid_from, valid_until = row[9:]
    return TicketEntry(
        ticket_id=ticket_id,
        event_id=event_id,
        type_id=type_id,
        type_name=type_name,
        holder_name=name,
        holder_email=email,
        order_ref=order_ref,
        revoked=bool(revoked),
        max_entries=max_entries,
        reentry=bool(reentry),
        valid_from=valid_from,
        valid_until=valid_until,
    )


def _ticket_values(t: TicketEntry) -> tuple[object, ...]:
    return (
        t.ticket_id,
        t.event_id,
        t.type_id,
        t.type_name,
        t.holder_name,
        t.holder_email,
        t.order_ref,
        int(t.revoked),
        t.max_entries,
        int(t.reentry),
        t.valid_from,
        t.valid_until,
    )


def search_query(text: str) -> str | None:
    """The full-text query for what staff typed: every word as a prefix, all required.
    Punctuation splits words, so 'ada@exa' finds ada@example.org."""
    words = [w for w in re.split(r"[^\w]+", text.lower()) if w]
    if not words:
        return None
    return " AND ".join(f'"{w}"*' for w in words[:8])


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
        record.direction.value,
        record.zone,
        int(record.manual),
        record.note,
        record.staff,
    )


class Store:
    """The scanner's SQLite file. Safe to share between the UI thread and one sync thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        # Bumped whenever events, keys or the device's gate change, so the core knows to
        # rebuild its caches.
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
        sqlite3 errors into a StoreError that says what was not saved. Inside
        :meth:`atomic` it joins the transaction already open."""
        with self._lock:
            if self._conn.in_transaction:
                yield self._conn
                return
            with write_transaction(self._conn) as conn:
                yield conn

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Several reads and writes as one durable transaction, with no other thread's write
        in between: a check-in's lookups and its record, so a scan relayed from another gate
        meanwhile cannot slip between the decision and the record."""
        try:
            with self._write():
                yield
        except sqlite3.Error as exc:
            raise StoreError(f"scanner database transaction failed: {exc}") from exc

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

    def set_assignment(self, device_name: str, gate: str) -> None:
        """The name and gate the venue's manager gave this device since it paired; the rest
        of the pairing, its cursors and its scans stay."""
        try:
            with self._write() as conn:
                conn.executemany(
                    "UPDATE config SET value = ? WHERE key = ?",
                    [(device_name, "device_name"), (gate, "gate")],
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot save the device's new gate: {exc}") from exc
        self._generation += 1

    def settings(self) -> GateSettings:
        rows = self._read("SELECT value FROM config WHERE key = ?", (_SETTINGS_KEY,))
        return GateSettings.from_json(rows[0][0]) if rows else GateSettings()

    def save_settings(self, settings: GateSettings) -> None:
        try:
            with self._write() as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO config (key, value) VALUES (?, ?)",
                    (_SETTINGS_KEY, settings.to_json()),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot save the gate settings: {exc}") from exc

    # -- manifest --------------------------------------------------------------------------

    def apply_manifest_page(self, page: ManifestPage, *, index_search: bool = True) -> None:
        """Upsert one page and move the manifest cursor past it, all or nothing.

        ``index_search=False`` (a first load) leaves the search index behind until
        :meth:`mark_synced` rebuilds it once, which makes a million-ticket load several times
        faster; meanwhile search finds tickets by id only. A later page with
        ``index_search=True`` brings the index back first.
        """
        try:
            with self._write() as conn:
                paused = self._search_paused(conn)
                if not index_search and not paused:
                    conn.execute("DROP TRIGGER tickets_search_insert")
                    conn.execute("DROP TRIGGER tickets_search_update")
                    conn.execute(
                        "INSERT INTO config (key, value) VALUES (?, '1')", (_SEARCH_PAUSED,)
                    )
                elif index_search and paused:
                    self._resume_search(conn)
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
                    f"INSERT INTO tickets ({_TICKET_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "  # noqa: S608
                    "ON CONFLICT (ticket_id) DO UPDATE SET event_id = excluded.event_id, "
                    "type_id = excluded.type_id, type_name = excluded.type_name, "
                    "holder_name = excluded.holder_name, holder_email = excluded.holder_email, "
                    "order_ref = excluded.order_ref, revoked = excluded.revoked, "
                    "max_entries = excluded.max_entries, reentry = excluded.reentry, "
                    "valid_from = excluded.valid_from, valid_until = excluded.valid_until",
                    [_ticket_values(t) for t in page.tickets],
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO ticket_types (type_id, event_id, name) "
                    "VALUES (?, ?, ?)",
                    {(t.type_id, t.event_id, t.type_name) for t in page.tickets},
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
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE ticket_id = ?",  # noqa: S608
            (ticket_ref,),
        )
        return _row_to_ticket(rows[0]) if rows else None

    def search_tickets(self, text: str, limit: int = 50) -> list[TicketEntry]:
        """Tickets whose holder name, email or order number has words starting with what was
        typed, or whose ticket id starts with it; best matches first."""
        found: list[TicketEntry] = []
        ref = re.sub(r"[^A-Z2-7]", "", text.upper())
        if len(ref) >= 4 and len(ref) == len(text.strip()):
            found += [
                _row_to_ticket(r)
                for r in self._read(
                    f"SELECT {_TICKET_COLUMNS} FROM tickets "  # noqa: S608
                    "WHERE ticket_id >= ? AND ticket_id < ? ORDER BY ticket_id LIMIT ?",
                    (ref, ref + "~", limit),
                )
            ]
        query = search_query(text)
        if query is not None and len(found) < limit:
            columns = ", ".join(f"t.{c.strip()}" for c in _TICKET_COLUMNS.split(","))
            seen = {t.ticket_id for t in found}
            rows = self._read(
                f"SELECT {columns} FROM (SELECT rowid, rank FROM ticket_search "  # noqa: S608
                "WHERE ticket_search MATCH ? LIMIT ?) s JOIN tickets t ON t.id = s.rowid "
                "ORDER BY s.rank LIMIT ?",
                (query, _SEARCH_CANDIDATES, limit),
            )
            found += [t for t in map(_row_to_ticket, rows) if t.ticket_id not in seen]
        return found[:limit]

    def ticket_types(self) -> list[TicketType]:
        rows = self._read("SELECT type_id, event_id, name FROM ticket_types ORDER BY name")
        return [TicketType(*r) for r in rows]

    def ticket_count(self) -> int:
        return int(self._read("SELECT count(*) FROM tickets")[0][0])

    # -- scans -----------------------------------------------------------------------------

    def add_own_scan(self, record: ScanRecord) -> None:
        """Commit one scan made on this device; returns only once it is on disk."""
        try:
            with self._write() as conn:
                conn.execute(
                    f"INSERT INTO scans ({_SCAN_COLUMNS}, own) VALUES ({_SCAN_PLACEHOLDERS}, 1)",  # noqa: S608
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
                    f"VALUES ({_SCAN_PLACEHOLDERS}, 0, 0)",
                    [_scan_values(r) for r in records],
                )
                inserted = conn.total_changes - before
                self._set_cursor(conn, FEED_CURSOR, next_cursor)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot store relayed scans: {exc}") from exc
        return inserted

    def movements(self, ticket_ref: str) -> list[ScanRecord]:
        """Every known admission and exit of one ticket, from any gate."""
        rows = self._read(
            f"SELECT {_SCAN_COLUMNS} FROM scans "  # noqa: S608
            "WHERE ticket_id = ? AND reason IN (?, ?)",
            (ticket_ref, *_MOVEMENTS),
        )
        return [_row_to_scan(r) for r in rows]

    def scan(self, scan_id: str) -> ScanRecord | None:
        rows = self._read(
            f"SELECT {_SCAN_COLUMNS} FROM scans WHERE scan_id = ?",  # noqa: S608
            (scan_id,),
        )
        return _row_to_scan(rows[0]) if rows else None

    def recent_scans(self, limit: int = 50) -> list[ScanRecord]:
        """The scans this device stored last (its own and relayed ones), newest first."""
        rows = self._read(
            f"SELECT {_SCAN_COLUMNS} FROM scans ORDER BY rowid DESC LIMIT ?",  # noqa: S608
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

    def own_counts(self, since_ms: int) -> dict[Reason, int]:
        """How many scans this device made since ``since_ms``, by reason."""
        rows = self._read(
            "SELECT reason, count(*) FROM scans WHERE own = 1 AND scanned_at_ms >= ? "
            "GROUP BY reason",
            (since_ms,),
        )
        return {Reason(reason): int(count) for reason, count in rows}

    def own_per_minute(self, since_ms: int) -> dict[int, int]:
        """Scans this device made per minute (Unix minute) since ``since_ms``."""
        rows = self._read(
            "SELECT scanned_at_ms / 60000, count(*) FROM scans "
            "WHERE own = 1 AND scanned_at_ms >= ? GROUP BY 1",
            (since_ms,),
        )
        return {int(minute): int(count) for minute, count in rows}

    def latest_hlc(self) -> str | None:
        rows = self._read("SELECT max(hlc) FROM scans")
        value = rows[0][0]
        return None if value is None else str(value)

    # -- cursors ---------------------------------------------------------------------------

    def cursor(self, name: str) -> str:
        rows = self._read("SELECT value FROM cursors WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else ""

    def mark_synced(self, at: float) -> None:
        """Remember when the manifest was last pulled in full, for the data-age display; after
        a first load, build the search index it left behind."""
        try:
            with self._write() as conn:
                if self._search_paused(conn):
                    self._resume_search(conn)
                self._set_cursor(conn, LAST_SYNC, repr(at))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot record the sync time: {exc}") from exc

    def last_synced(self) -> float | None:
        value = self.cursor(LAST_SYNC)
        return float(value) if value else None

    @staticmethod
    def _search_paused(conn: sqlite3.Connection) -> bool:
        row = conn.execute("SELECT 1 FROM config WHERE key = ?", (_SEARCH_PAUSED,)).fetchone()
        return row is not None

    @staticmethod
    def _resume_search(conn: sqlite3.Connection) -> None:
        for statement in split_script(_SEARCH_TRIGGERS):
            conn.execute(statement)
        conn.execute("INSERT INTO ticket_search (ticket_search) VALUES ('rebuild')")
        conn.execute("INSERT INTO ticket_search (ticket_search) VALUES ('optimize')")
        conn.execute("DELETE FROM config WHERE key = ?", (_SEARCH_PAUSED,))

    # -- diagnostics -----------------------------------------------------------------------

    @contextmanager
    def count_steps(self) -> Iterator[StepCount]:
        """Counts the SQLite virtual-machine steps run meanwhile: the cost of a lookup in
        units that do not depend on how busy the machine is."""
        count = StepCount()

        def step() -> int:
            count.steps += 1
            return 0  # carry on

        with self._lock:
            self._conn.set_progress_handler(step, 1)
            try:
                yield count
            finally:
                self._conn.set_progress_handler(None, 1)

    @contextmanager
    def statements(self) -> Iterator[list[str]]:
        """The SQL statements run meanwhile, in order."""
        executed: list[str] = []
        with self._lock:
            self._conn.set_trace_callback(executed.append)
            try:
                yield executed
            finally:
                self._conn.set_trace_callback(None)

    def query_plan(self, sql: str, params: Sequence[object] = ()) -> list[str]:
        """SQLite's plan for ``sql``: one line per step, e.g. 'SEARCH tickets USING INDEX'."""
        rows = self._read(f"EXPLAIN QUERY PLAN {sql}", params)
        return [str(row[-1]) for row in rows]

    @staticmethod
    def _set_cursor(conn: sqlite3.Connection, name: str, value: str) -> None:
        conn.execute("INSERT OR REPLACE INTO cursors (name, value) VALUES (?, ?)", (name, value))
