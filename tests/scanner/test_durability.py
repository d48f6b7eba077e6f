"""No scan is ever lost: the gate app is killed with SIGKILL at random moments while tickets
stream past its camera and it syncs with a real venue server, then started again on the same
data folder, many times over.

Every verdict staff saw is in the scanner's database after each restart, the venue never
holds a scan twice and never misses one the scanner believes it uploaded, and the SQLite file
stays sound. The seed is printed with any failure; ``BILTEN_KILL_SEED`` replays a run.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scanner_app.store import Store
from scanner_app.sync import SyncService
from shared.clock import HybridClock
from shared.messages import ManifestPage
from shared.qr import write_png
from tests.scanner.gate import TicketMaker, ticket_entry
from tests.scanner.kill_driver import READY
from tests.support import LONG, figure, quick_or_long, serving
from venue_server.app import create_app
from venue_server.cloud_sync import apply_manifest_page
from venue_server.pairing import issue_pairing_code
from venue_server.settings import VenueSettings
from venue_server.store import CloudLink, VenueStore

pytestmark = [pytest.mark.slow, pytest.mark.gui]

ROUNDS = quick_or_long(20, 100)
TICKETS = 80
FRAMES_PER_ROUND = 60
LONGEST_LIFE = 1.5  # seconds the app may live after it is ready, before the kill
ROOT = Path(__file__).resolve().parents[2]
DRIVER = (sys.executable, "-u", "-m", "tests.scanner.kill_driver")
SHOWN = re.compile(r"^shown ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) (\w+)$")


@dataclass
class Run:
    """One life of the gate app, from start to SIGKILL."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            # A line cut short by the kill has no newline; its scan may or may not be shown.
            if line.endswith("\n"):
                self.lines.append(line.rstrip("\n"))
                if line.startswith(READY):
                    self.ready.set()
        self.ready.set()

    def shown(self) -> dict[str, str]:
        return {m[1]: m[2] for m in map(SHOWN.match, self.lines) if m}


def start_gate(data: Path, frames: Path, errors: Path) -> tuple[Run, threading.Thread]:
    with errors.open("a") as stderr:
        process = subprocess.Popen(
            [*DRIVER, "--data", str(data), "--frames", str(frames)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
    run = Run(process)
    reader = threading.Thread(target=run.read, daemon=True)
    reader.start()
    return run, reader


def own_scans(path: Path) -> dict[str, tuple[str, bool]]:
    """The scanner's own scans as its file holds them: reason and whether marked uploaded."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT scan_id, reason, uploaded FROM scans WHERE own = 1")
        return {scan_id: (reason, bool(uploaded)) for scan_id, reason, uploaded in rows}
    finally:
        conn.close()


def integrity_check(path: Path) -> list[tuple[str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()


def venue_scan_ids(store: VenueStore, device_id: str) -> list[str]:
    rows, _ = store.scans_after(0, 1_000_000)
    return [record.scan_id for _, record in rows if record.device_id == device_id]


def ticket_frames(folder: Path, tokens: list[str], rng: random.Random, count: int) -> Path:
    """A folder of ticket images in a random order, as people walk up to the gate."""
    folder.mkdir(parents=True)
    for n, token in enumerate(rng.sample(tokens, count)):
        write_png(token, folder / f"{n:03d}.png", scale=4)
    return folder


@pytest.fixture
def venue_store(tmp_path: Path) -> Iterator[VenueStore]:
    store = VenueStore(tmp_path / "venue" / "venue.sqlite3")
    store.set_cloud_link(CloudLink("http://127.0.0.1:9", "venue-key", "Arena"))
    yield store
    store.close()


def test_every_verdict_shown_survives_sigkill_and_every_scan_reaches_the_venue_once(
    tmp_path: Path, venue_store: VenueStore, maker: TicketMaker
) -> None:
    seed = int(os.environ.get("BILTEN_KILL_SEED", "20261125"))
    rng = random.Random(seed)
    claims = [maker.claims() for _ in range(TICKETS)]
    apply_manifest_page(
        venue_store,
        ManifestPage(
            next_cursor="cloud-1",
            has_more=False,
            events=[maker.event_entry()],
            keys=[maker.key_entry()],
            tickets=[ticket_entry(c, f"Guest {n}") for n, c in enumerate(claims)],
        ),
    )
    tokens = [maker.token(c) for c in claims] + [maker.forge() for _ in range(5)]
    data = tmp_path / "scanner"
    db = data / "scanner.sqlite3"
    errors = tmp_path / "gate-stderr.txt"
    settings = VenueSettings(data_dir=tmp_path / "venue")

    with serving(create_app(settings, store=venue_store, sync=False)) as venue:
        store = Store(db)
        code = issue_pairing_code(venue_store, "North", 900, int(time.time()))
        device = SyncService(store, None).pair(venue.url, code, "North 1")
        store.close()

        shown: dict[str, str] = {}
        lives: list[int] = []
        for round_no in range(ROUNDS):
            frames = ticket_frames(tmp_path / f"frames-{round_no}", tokens, rng, FRAMES_PER_ROUND)
            run, reader = start_gate(data, frames, errors)
            assert run.ready.wait(60), f"the gate app did not start: {errors.read_text()[-2000:]}"
            assert run.process.poll() is None, f"the gate app died: {errors.read_text()[-2000:]}"
            time.sleep(rng.uniform(0.0, LONGEST_LIFE))
            run.process.send_signal(signal.SIGKILL)
            run.process.wait(30)
            reader.join(30)

            seen = run.shown()
            lives.append(len(seen))
            shown.update(seen)
            on_disk = own_scans(db)
            context = f"seed {seed}, round {round_no}"
            lost = {s for s in seen if s not in on_disk}
            assert not lost, f"{context}: verdicts shown but not recorded: {sorted(lost)}"
            wrong = {s for s, reason in seen.items() if reason.lower() != on_disk[s][0]}
            assert not wrong, f"{context}: shown one verdict, recorded another: {sorted(wrong)}"
            at_venue = set(venue_scan_ids(venue_store, device.device_id))
            believed_up = {s for s, (_, uploaded) in on_disk.items() if uploaded}
            assert believed_up <= at_venue, f"{context}: marked uploaded but not at the venue"

        # Back at the door once more: the scanner uploads what it still holds.
        store = Store(db)
        sync = SyncService(store, HybridClock(device.device_id), batch_size=50)
        report = sync.sync_once()
        assert report.online, report.detail
        store.close()

    on_disk = own_scans(db)
    at_venue = venue_scan_ids(venue_store, device.device_id)
    context = f"seed {seed}, verdicts shown per life {lives}"
    assert integrity_check(db) == [("ok",)], context
    assert set(shown) <= set(on_disk), context
    assert len(at_venue) == len(set(at_venue)) == len(on_disk), context
    assert set(at_venue) == set(on_disk), context
    assert all(uploaded for _, uploaded in on_disk.values()), context
    assert report.pending == 0
    # The stream really ran: most lives showed verdicts before they were cut short.
    assert sum(1 for n in lives if n) >= ROUNDS // 2, context
    figure(
        "scanner SIGKILL",
        seed=seed,
        kills=ROUNDS,
        verdicts_shown=len(shown),
        recorded=len(on_disk),
        at_venue_once=len(at_venue),
        lost=0,
        mode="long" if LONG else "quick",
    )
