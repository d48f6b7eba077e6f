"""How fast a venue server takes a big event's tickets from the cloud and gives its scans back.

Two measurements through the code ``bilten venue serve`` runs (``SyncRunner`` with its
``CloudClient`` and ``VenueStore``), against a real cloud (``bilten cloud serve`` on SQLite, in
its own process, set up through its HTTP API like an organizer would):

1. Pull: a freshly paired venue pulls the manifest of N tickets, page by page, until the
   cloud says there is no more.
2. Upload: N scans of those tickets, stored in the venue as if its gates had sent them, go up
   to the cloud in batches until the cloud has acknowledged every one.

Each is printed next to its baseline from the same run on the same disk: bare stdlib sqlite3
inserting the same rows into the same schema (WAL, synchronous=FULL, one transaction per 1000
rows) — the floor for writing them durably once. Pull and upload are split into the time spent
waiting on the cloud (its work plus the loopback wire), turning messages into and out of bytes
on the venue, and the venue's own SQLite work.

Target: at most 10 s each for 100,000 tickets and 100,000 scans.

Run from the repository root::

    .venv/bin/python benchmarks/venue_sync.py --quick   # 10,000 of each, under a minute
    .venv/bin/python benchmarks/venue_sync.py           # 100,000 of each

The last line printed is one JSON object with every figure, for scripts to compare runs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from shared.cli import main as bilten  # noqa: E402
from shared.clock import HybridClock  # noqa: E402
from shared.ids import new_scan_id  # noqa: E402
from shared.messages import ManifestPage, ScanAck, ScanBatch, ScanRecord  # noqa: E402
from shared.reasons import Reason  # noqa: E402
from shared.sqlite import migrate, open_durable  # noqa: E402
from tests.cloud_harness import Organizer  # noqa: E402
from tests.support import free_port  # noqa: E402
from venue_server.cloud_sync import CloudClient, SyncRunner  # noqa: E402
from venue_server.settings import VenueSettings  # noqa: E402
from venue_server.store import MIGRATIONS, CloudLink, VenueStore  # noqa: E402

TARGET_S = 10.0
FULL = 100_000
QUICK = 10_000
ISSUE_CHUNK = 500  # the most the cloud's issue API makes in one request
GATE_BATCH = 100  # scans per upload from a gate to the venue
RAW_TRANSACTION = 1000
GATES = ("North", "South", "East", "West")


# -- the cloud, in its own process ----------------------------------------------------------


@contextlib.contextmanager
def running_cloud(folder: Path) -> Iterator[str]:
    """``bilten cloud serve`` on SQLite in ``folder``; its log goes to ``folder/cloud.log``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BILTEN_")}
    command = [sys.executable, "-m", "shared.cli", "cloud", "serve", "--port", str(port)]
    with (folder / "cloud.log").open("wb") as log:
        process = subprocess.Popen(
            [*command, "--data", str(folder / "cloud")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(process, url, folder / "cloud.log")
            yield url
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the cloud did not start; its log:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


@dataclass(frozen=True)
class Event:
    venue_id: int
    event_id: int
    api_key: str
    issue_s: float


def set_up_event(url: str, tickets: int) -> Event:
    """An organizer, a venue, an event and ``tickets`` tickets, all through the cloud's API."""
    # The organizer only needs to know where the cloud is.
    organizer = Organizer(SimpleNamespace(url=url))  # type: ignore[arg-type]
    organizer.http.timeout = httpx.Timeout(120)
    try:
        venue = organizer.venue("Benchmark Arena")
        type_id = organizer.ticket_type(venue, "Standing", capacity=tickets)
        started = time.perf_counter()
        for number, first in enumerate(range(0, tickets, ISSUE_CHUNK)):
            organizer.issue(
                venue,
                count=min(ISSUE_CHUNK, tickets - first),
                holder=f"Holder {number}",
                type_id=type_id,
                holder_email=f"buyer{number}@example.org",
                order_ref=f"ORD-{number:06d}",
            )
        issue_s = time.perf_counter() - started
    finally:
        organizer.close()
    return Event(venue.venue_id, venue.event_id, venue.api_key, issue_s)


# -- the venue, through the code `bilten venue serve` runs ----------------------------------


@dataclass
class Meter:
    """Where a round's time went, seen from the venue: waiting on the cloud, (de)serialising,
    and everything else (the venue's SQLite work)."""

    wire_s: float = 0.0
    codec_s: float = 0.0
    requests: int = 0
    bytes_in: int = 0


class MeteredClient(CloudClient):
    """The real client, with a stopwatch around the HTTP exchange and around each call."""

    def __init__(self, link: CloudLink, timeout: float, meter: Meter) -> None:
        super().__init__(link.url, link.api_key, timeout=timeout)
        self.meter = meter

    def _request(self, method: str, path: str, **kwargs: Any) -> bytes:
        started = time.perf_counter()
        body = super()._request(method, path, **kwargs)
        self.meter.wire_s += time.perf_counter() - started
        self.meter.requests += 1
        self.meter.bytes_in += len(body)
        return body

    def _timed_codec(self, started: float, wire_before: float) -> None:
        spent = time.perf_counter() - started
        self.meter.codec_s += spent - (self.meter.wire_s - wire_before)

    def manifest(self, cursor: str, limit: int = 1000) -> ManifestPage:
        started, wire_before = time.perf_counter(), self.meter.wire_s
        page = super().manifest(cursor, limit)
        self._timed_codec(started, wire_before)
        return page

    def upload(self, batch: ScanBatch) -> ScanAck:
        started, wire_before = time.perf_counter(), self.meter.wire_s
        ack = super().upload(batch)
        self._timed_codec(started, wire_before)
        return ack


@dataclass
class Phase:
    seconds: float
    meter: Meter = field(default_factory=Meter)

    @property
    def store_s(self) -> float:
        return self.seconds - self.meter.wire_s - self.meter.codec_s


def timed_round(store: VenueStore, settings: VenueSettings) -> Phase:
    """One sync round as the server's scheduler runs it; refuses to report a failed one."""
    meter = Meter()
    runner = SyncRunner(
        store,
        settings,
        client_factory=lambda link: MeteredClient(link, settings.http_timeout, meter),
    )
    started = time.perf_counter()
    ok = runner.run_once()
    seconds = time.perf_counter() - started
    if not ok:
        raise SystemExit(f"the sync round failed: {runner.status.snapshot().last_error}")
    return Phase(seconds, meter)


def pair(folder: Path, url: str, api_key: str) -> None:
    """``bilten venue pair``, as the venue's operator runs it."""
    with contextlib.redirect_stdout(io.StringIO()):
        code = bilten(["venue", "pair", "--cloud", url, "--key", api_key, "--data", str(folder)])
    if code != 0:
        raise SystemExit("bilten venue pair failed")


def gate_scans(store: VenueStore, count: int) -> float:
    """One admission per ticket, spread over four gates, stored as the venue's scan intake
    stores each gate's batch; returns the seconds that took (set-up, not the measurement)."""
    tickets = store_rows(store.path, "SELECT ticket_id, event_id FROM tickets ORDER BY seq")
    refs = [ref for ref, _ in tickets]
    events = dict(tickets)
    clocks = {gate: HybridClock(f"gate_{gate.lower()}") for gate in GATES}
    started = time.perf_counter()
    for first in range(0, count, GATE_BATCH):
        gate = GATES[(first // GATE_BATCH) % len(GATES)]
        now_ms = time.time_ns() // 1_000_000
        batch = [
            ScanRecord(
                scan_id=new_scan_id(),
                device_id=f"gate_{gate.lower()}",
                device_name=f"{gate} 1",
                gate=gate,
                hlc=clocks[gate].now().encode(),
                scanned_at_ms=now_ms,
                reason=Reason.ADMITTED,
                event_id=events[ref],
                ticket_id=ref,
            )
            for ref in refs[first : first + GATE_BATCH]
        ]
        store.add_scans(batch, now_ms)
    return time.perf_counter() - started


def store_rows(path: Path, query: str) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return conn.execute(query).fetchall()


def cloud_scan_count(folder: Path) -> int:
    rows = store_rows(folder / "cloud" / "cloud.db", "SELECT COUNT(*) FROM scans")
    return int(rows[0][0])


# -- the baseline: bare sqlite3 -------------------------------------------------------------


def raw_insert(path: Path, table: str, rows: list[tuple[Any, ...]], columns: list[str]) -> float:
    """Seconds to insert ``rows`` into ``table`` of the venue's own schema with nothing but
    sqlite3: WAL, synchronous=FULL, one transaction per 1000 rows."""
    conn = open_durable(path)
    migrate(conn, path, MIGRATIONS)
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    )
    started = time.perf_counter()
    for first in range(0, len(rows), RAW_TRANSACTION):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(statement, rows[first : first + RAW_TRANSACTION])
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def columns_of(path: Path, table: str, leave_out: tuple[str, ...] = ()) -> list[str]:
    rows = store_rows(path, f"PRAGMA table_info({table})")
    return [r[1] for r in rows if r[1] not in leave_out]


# -- the run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    count: int
    event: Event
    pull: Phase
    upload: Phase
    gate_intake_s: float
    raw_tickets_s: float
    raw_scans_s: float


def run(folder: Path, count: int) -> Figures:
    with running_cloud(folder) as url:
        event = set_up_event(url, count)
        venue_dir = folder / "venue"
        pair(venue_dir, url, event.api_key)
        settings = VenueSettings(data_dir=venue_dir)
        store = VenueStore(settings.db_path)
        try:
            pull = timed_round(store, settings)
            if store.ticket_count() != count:
                raise SystemExit(f"pulled {store.ticket_count()} tickets, expected {count}")
            intake_s = gate_scans(store, count)
            upload = timed_round(store, settings)
            total, pending = store.scan_counts()
            if (total, pending) != (count, 0) or cloud_scan_count(folder) != count:
                raise SystemExit(
                    f"upload incomplete: venue holds {total}, {pending} not acknowledged; "
                    f"the cloud holds {cloud_scan_count(folder)}"
                )
        finally:
            store.close()
    venue_db = settings.db_path
    ticket_columns = columns_of(venue_db, "tickets")
    tickets = store_rows(venue_db, f"SELECT {', '.join(ticket_columns)} FROM tickets")
    scan_columns = columns_of(venue_db, "scans", leave_out=("seq", "uploaded"))
    scans = store_rows(venue_db, f"SELECT {', '.join(scan_columns)} FROM scans")
    raw_db = folder / "raw.sqlite3"
    raw_tickets_s = raw_insert(raw_db, "tickets", tickets, ticket_columns)
    raw_scans_s = raw_insert(folder / "raw-scans.sqlite3", "scans", scans, scan_columns)
    return Figures(count, event, pull, upload, intake_s, raw_tickets_s, raw_scans_s)


def verdict(seconds: float, count: int) -> str:
    target = TARGET_S * count / FULL
    return f"target <= {target:g} s for {count:,}: {'meets' if seconds <= target else 'MISSES'}"


def report(f: Figures) -> dict[str, Any]:
    n = f.count
    print(
        f"set-up: the cloud issued {n:,} tickets in {f.event.issue_s:.1f} s "
        f"({ISSUE_CHUNK} per request)"
    )
    for name, phase, raw_s, what in (
        ("pull", f.pull, f.raw_tickets_s, "tickets from the cloud"),
        ("upload", f.upload, f.raw_scans_s, "scans to the cloud"),
    ):
        m = phase.meter
        print(
            f"{name}: {n:,} {what} in {phase.seconds:.2f} s ({n / phase.seconds:,.0f}/s), "
            f"{m.requests} requests; {verdict(phase.seconds, n)}\n"
            f"  waiting on the cloud {m.wire_s:.2f} s, venue (de)serialising "
            f"{m.codec_s:.2f} s, venue SQLite {phase.store_s:.2f} s\n"
            f"  baseline: raw sqlite3 insert of the same {n:,} rows {raw_s:.2f} s "
            f"({phase.seconds / raw_s:.1f}x)"
        )
    print(f"(set-up: gates' {n:,} scans stored by the venue's intake in {f.gate_intake_s:.1f} s)")
    return {
        "tickets": n,
        "scans": n,
        "pull_s": round(f.pull.seconds, 3),
        "upload_s": round(f.upload.seconds, 3),
        "raw_ticket_insert_s": round(f.raw_tickets_s, 3),
        "raw_scan_insert_s": round(f.raw_scans_s, 3),
        "pull_cloud_wait_s": round(f.pull.meter.wire_s, 3),
        "pull_codec_s": round(f.pull.meter.codec_s, 3),
        "pull_store_s": round(f.pull.store_s, 3),
        "pull_requests": f.pull.meter.requests,
        "pull_bytes": f.pull.meter.bytes_in,
        "upload_cloud_wait_s": round(f.upload.meter.wire_s, 3),
        "upload_codec_s": round(f.upload.meter.codec_s, 3),
        "upload_store_s": round(f.upload.store_s, 3),
        "upload_requests": f.upload.meter.requests,
        "issue_s": round(f.event.issue_s, 3),
        "gate_intake_s": round(f.gate_intake_s, 3),
        "target_s": TARGET_S * n / FULL,
        "pull_meets_target": f.pull.seconds <= TARGET_S * n / FULL,
        "upload_meets_target": f.upload.seconds <= TARGET_S * n / FULL,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} of each, under a minute")
    parser.add_argument("--count", type=int, help="tickets and scans (default 100,000)")
    parser.add_argument("--dir", type=Path, help="where the databases go (default: a temp dir)")
    args = parser.parse_args(argv)
    count = args.count or (QUICK if args.quick else FULL)
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bilten-sync-bench-", dir=args.dir) as folder:
        figures = report(run(Path(folder), count))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
