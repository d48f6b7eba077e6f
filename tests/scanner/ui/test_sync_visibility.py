"""Sync you can see, against a real venue server on a loopback port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from scanner_app.core import ScannerCore
from scanner_app.store import Store
from scanner_app.sync import SyncService, SyncStatus
from shared.clock import HybridClock
from tests.scanner.gate import Gate
from tests.scanner.ui.conftest import Open
from tests.scanner.venue_harness import Venue
from tests.support import free_port
from venue_server.pairing import issue_pairing_code

pytestmark = pytest.mark.gui

PAGE = 200


@dataclass
class Paired:
    store: Store
    core: ScannerCore
    sync: SyncService


@pytest.fixture
def paired(tmp_path: Path, venue: Venue) -> Iterator[Paired]:
    """A new scanner, paired with the venue but without any tickets yet."""
    store = Store(tmp_path / "scanner" / "scanner.sqlite3")
    code = issue_pairing_code(venue.store, "North", 900, int(time.time()))
    device = SyncService(store).pair(venue.url, code, "North 1")
    clock = HybridClock(device.device_id)
    yield Paired(store, ScannerCore(store, clock), SyncService(store, clock, page_limit=PAGE))
    store.close()


def test_the_first_download_shows_a_progress_bar_with_counts(
    qtbot: QtBot, open_window: Open, venue: Venue, paired: Paired
) -> None:
    venue.sell(3000)
    window = open_window(sync=paired.sync, core=paired.core, sync_interval=600, start=False)
    progress = window.sync_progress
    seen: list[tuple[bool, int, int, str]] = []
    progress.bar.valueChanged.connect(
        lambda value: seen.append(
            (progress.isVisible(), value, progress.bar.maximum(), progress.label.text())
        )
    )

    window.start()
    qtbot.waitUntil(lambda: window.status_line.status is SyncStatus.ONLINE, timeout=30000)

    assert (True, PAGE, 3000, "Downloading tickets: 200 done, 2800 to go") in seen
    assert all(visible and maximum == 3000 for visible, _, maximum, _ in seen)
    assert [value for _, value, _, _ in seen] == sorted(value for _, value, _, _ in seen)
    assert not progress.isVisible()  # done: the bar goes away
    assert paired.store.ticket_count() == 3000
    assert "Online" in window.status_line.connection.text()
    assert not window.banner.isVisible()


def test_sync_now_fetches_new_tickets_and_uploads_scans(
    qtbot: QtBot, open_window: Open, venue: Venue, paired: Paired
) -> None:
    [first] = venue.sell(1)
    window = open_window(sync=paired.sync, core=paired.core, sync_interval=600)
    qtbot.waitUntil(lambda: paired.store.ticket_count() == 1, timeout=10000)
    qtbot.waitUntil(window.sync_button.isEnabled, timeout=10000)
    window.submit(venue.maker.token(first))
    window.dismiss()
    assert window.status_line.pending.text() == "Scans waiting to upload: 1"
    venue.sell(2)

    qtbot.mouseClick(window.sync_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: paired.store.ticket_count() == 3, timeout=10000)
    qtbot.waitUntil(
        lambda: window.status_line.pending.text() == "All scans uploaded", timeout=10000
    )


def test_a_gate_moved_on_the_venue_dashboard_shows_after_the_next_sync(
    qtbot: QtBot, open_window: Open, venue: Venue, paired: Paired
) -> None:
    [claims] = venue.sell(1)
    window = open_window(sync=paired.sync, core=paired.core, sync_interval=600)
    qtbot.waitUntil(lambda: window.status_line.status is SyncStatus.ONLINE, timeout=10000)
    assert window.header.gate.text() == "Gate North"
    device = paired.store.device()
    assert device is not None
    # The manager moves the tablet and renames it (what the dashboard's forms store).
    venue.store.set_device_gate(device.device_id, "Süd")
    venue.store.rename_device(device.device_id, "Süd 1")

    qtbot.waitUntil(window.sync_button.isEnabled, timeout=10000)
    window.request_sync()

    qtbot.waitUntil(lambda: window.header.gate.text() == "Gate Süd", timeout=10000)
    assert window.windowTitle() == "Bilten gate \u2014 Süd"
    assert window.status_line.where.text() == "Arena \u00b7 Süd 1"
    window.submit(venue.maker.token(claims))
    assert window.verdict_view.title.text() == "Admitted"
    assert (paired.core.last_scan.gate, paired.core.last_scan.device_name) == ("Süd", "Süd 1")


def test_offline_shows_a_banner_and_scanning_still_admits(
    qtbot: QtBot, open_window: Open, gate: Gate
) -> None:
    device = gate.store.device()
    assert device is not None
    gate.store.save_device(replace(device, venue_url=f"http://127.0.0.1:{free_port()}"))
    sync = SyncService(gate.store, gate.clock)
    window = open_window(sync=sync, verdict_seconds=60, sync_interval=600)
    qtbot.waitUntil(lambda: window.status_line.status is SyncStatus.OFFLINE, timeout=10000)

    assert window.banner.isVisible()
    assert window.banner.text().startswith("Offline \u2014 still admitting")
    window.submit(gate.sell(holder="Ada Lovelace"))

    assert window.verdict_view.title.text() == "Admitted"
    assert window.verdict_view.holder.text() == "Ada Lovelace"
    window.dismiss()
    assert window.status_line.pending.text() == "Scans waiting to upload: 1"
    assert "Offline" in window.status_line.connection.text()


def test_a_gate_the_venue_removed_says_pair_again_and_still_scans(
    qtbot: QtBot, open_window: Open, venue: Venue, paired: Paired
) -> None:
    [claims] = venue.sell(1)
    window = open_window(sync=paired.sync, core=paired.core, sync_interval=600)
    qtbot.waitUntil(lambda: window.status_line.status is SyncStatus.ONLINE, timeout=10000)
    device = paired.store.device()
    assert device is not None
    venue.store.revoke_device(device.device_id, int(time.time()))

    qtbot.waitUntil(window.sync_button.isEnabled, timeout=10000)
    window.request_sync()
    qtbot.waitUntil(lambda: window.status_line.status is SyncStatus.UNAUTHORIZED, timeout=10000)

    assert window.banner.isVisible()
    assert "This gate was removed by the venue \u2014 pair again" in window.banner.text()
    window.submit(venue.maker.token(claims))
    assert window.verdict_view.title.text() == "Admitted"


def test_the_age_of_the_ticket_list_is_shown(open_window: Open, gate: Gate) -> None:
    gate.store.mark_synced(time.time() - 4 * 60 - 5)

    window = open_window()

    assert window.status_line.data_age.text() == "Tickets as of 4 min ago"


def test_a_gate_without_a_complete_ticket_list_says_so(open_window: Open) -> None:
    window = open_window()

    assert window.status_line.data_age.text() == "No complete ticket list yet"
