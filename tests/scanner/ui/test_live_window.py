"""Two real gate windows on one real venue server: what one gate admits, the other knows at
once, without waiting for a sync round; a refund at the venue reaches the gate the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from scanner_app.live import Backoff
from scanner_app.ui.live_worker import LiveWorker
from scanner_app.ui.main_window import MainWindow
from shared.reasons import Reason
from shared.rules import Verdict
from tests.scanner.venue_harness import Scanner, Venue, paired_scanner

pytestmark = pytest.mark.gui

WAIT_MS = 20_000  # generous: "eventually", never a latency claim
NO_TIMER = 3600.0  # sync rounds only when the window asks for one (after a scan, on a push)

OpenGate = Callable[[Scanner], MainWindow]


@pytest.fixture
def open_gate(qtbot: QtBot) -> Iterator[OpenGate]:
    windows: list[MainWindow] = []

    def open_(scanner: Scanner) -> MainWindow:
        live = LiveWorker(scanner.store, scanner.clock, backoff=Backoff(base=0.05, cap=0.5))
        window = MainWindow(scanner.core(), None, scanner.sync, sync_interval=NO_TIMER, live=live)
        qtbot.addWidget(window)
        window.show()
        window.start()
        windows.append(window)
        return window

    yield open_
    for window in windows:
        window.shutdown()


def shown(qtbot: QtBot, window: MainWindow, code: str) -> Verdict:
    verdicts: list[Verdict] = []
    window.verdict_shown.connect(lambda verdict, _scan_id: verdicts.append(verdict))
    window.submit(code)
    qtbot.waitUntil(lambda: bool(verdicts), timeout=5000)
    window.dismiss()
    return verdicts[0]


def test_a_ticket_admitted_at_one_gate_is_a_repeat_at_the_other_without_a_sync_round(
    qtbot: QtBot, tmp_path: Path, venue: Venue, open_gate: OpenGate
) -> None:
    north = paired_scanner(tmp_path / "north", venue, "North 1", "North")
    south = paired_scanner(tmp_path / "south", venue, "South 1", "South")
    [ticket] = venue.sell(1)
    for scanner in (north, south):
        scanner.sync.sync_once()
    north_window, south_window = open_gate(north), open_gate(south)
    qtbot.waitUntil(lambda: south_window.status_line.live.text() != "", timeout=WAIT_MS)
    code = venue.maker.token(ticket)

    assert shown(qtbot, north_window, code).reason is Reason.ADMITTED
    # North uploads right after its verdict; the venue pushes the scan to South's feed.
    qtbot.waitUntil(lambda: south.store.movements(ticket.ticket_ref) != [], timeout=WAIT_MS)

    repeat = shown(qtbot, south_window, code)
    assert repeat.reason is Reason.ALREADY_ADMITTED
    assert repeat.previous is not None
    assert (repeat.previous.gate, repeat.previous.device_name) == ("North", "North 1")


def test_a_refund_at_the_venue_reaches_an_open_gate_without_waiting_for_its_timer(
    qtbot: QtBot, tmp_path: Path, venue: Venue, open_gate: OpenGate
) -> None:
    gate = paired_scanner(tmp_path / "gate", venue)
    [ticket] = venue.sell(1)
    gate.sync.sync_once()
    window = open_gate(gate)
    qtbot.waitUntil(lambda: window.status_line.live.text() != "", timeout=WAIT_MS)

    venue.revoke(ticket)

    def refunded() -> bool:
        entry = gate.store.ticket(ticket.ticket_ref)
        return entry is not None and entry.revoked

    qtbot.waitUntil(refunded, timeout=WAIT_MS)
    assert shown(qtbot, window, venue.maker.token(ticket)).reason is Reason.REVOKED
