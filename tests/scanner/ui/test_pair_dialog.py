"""The pairing window against a real venue server: typed, pasted and wedge-scanned payloads,
venues found on the LAN by real mDNS, and the gate window opening once paired."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from scanner_app.core import ScannerCore
from scanner_app.discovery import Listener, VenueBrowser
from scanner_app.pairing import ScannerPairing, target_from_input, target_from_payload
from scanner_app.store import Store
from scanner_app.ui.app import GateLauncher
from scanner_app.ui.main_window import MainWindow
from scanner_app.ui.pair_dialog import BrowserFactory, PairDialog
from shared.clock import HybridClock
from tests.scanner.gate import TicketMaker
from tests.scanner.test_pairing import Venue, running_venue
from tests.support import free_port, need, serving
from tests.venue.test_discovery import multicast_loops
from venue_server.app import create_app
from venue_server.discovery import VenueAnnouncer
from venue_server.settings import VenueSettings
from venue_server.store import CloudLink, VenueStore

pytestmark = pytest.mark.gui

OpenDialog = Callable[..., PairDialog]


def loopback_browser(on_change: Listener) -> VenueBrowser:
    return VenueBrowser(["127.0.0.1"], on_change)


@pytest.fixture
def venue(tmp_path: Path, maker: TicketMaker) -> Iterator[Venue]:
    with running_venue(tmp_path / "venue", maker) as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    scanner_store = Store(tmp_path / "scanner" / "scanner.sqlite3")
    yield scanner_store
    scanner_store.close()


@pytest.fixture
def open_dialog(qtbot: QtBot, store: Store) -> Iterator[OpenDialog]:
    dialogs: list[PairDialog] = []

    def open_(browser_factory: BrowserFactory | None = None) -> PairDialog:
        dialog = PairDialog(ScannerPairing(store), browser_factory, device_name="East 1")
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialogs.append(dialog)
        return dialog

    yield open_
    for dialog in dialogs:
        dialog.shutdown()


def press_pair(qtbot: QtBot, dialog: PairDialog) -> None:
    qtbot.mouseClick(dialog.pair_button, Qt.MouseButton.LeftButton)


def test_a_pasted_payload_fills_the_form_and_pair_pairs_the_scanner(
    qtbot: QtBot, open_dialog: OpenDialog, venue: Venue, store: Store
) -> None:
    venue.sell(2)
    dialog = open_dialog()
    payload = venue.payload("East")
    QApplication.clipboard().setText(payload)

    dialog.code_edit.setFocus()
    dialog.code_edit.paste()

    assert dialog.url_edit.text() == venue.url
    assert dialog.code_edit.text() == payload.rsplit("#", 1)[1]
    with qtbot.waitSignal(dialog.paired, timeout=20000) as paired:
        press_pair(qtbot, dialog)

    assert "Paired with Arena as gate East" in dialog.state.text()
    assert "2 tickets" in dialog.state.text()
    assert not dialog.isVisible()
    device = store.device()
    assert device is not None
    assert device == paired.args[0].device
    assert (device.device_name, device.gate) == ("East 1", "East")


def test_a_wedge_scan_into_the_name_box_keeps_the_name_and_enter_pairs(
    qtbot: QtBot, open_dialog: OpenDialog, venue: Venue, store: Store
) -> None:
    dialog = open_dialog()
    dialog.name_edit.setFocus()
    dialog.name_edit.end(False)

    with qtbot.waitSignal(dialog.paired, timeout=20000):
        # A keyboard-wedge scanner types the QR's text where the cursor is, then Enter.
        qtbot.keyClicks(dialog.name_edit, venue.payload())
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)

    assert dialog.name_edit.text() == "East 1"
    device = store.device()
    assert device is not None
    assert device.device_name == "East 1"


def test_a_wrong_code_is_explained_under_the_form_and_nothing_is_saved(
    qtbot: QtBot, open_dialog: OpenDialog, venue: Venue, store: Store
) -> None:
    dialog = open_dialog()
    qtbot.keyClicks(dialog.url_edit, venue.url)
    qtbot.keyClicks(dialog.code_edit, "zzzz-zzzz")

    press_pair(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.error.isVisible() and not dialog.busy, timeout=20000)

    assert "Wrong code" in dialog.error.text()
    assert dialog.isVisible()
    assert dialog.pair_button.isEnabled()
    assert store.device() is None


def test_a_used_code_and_a_silent_venue_are_told_apart(
    qtbot: QtBot, open_dialog: OpenDialog, venue: Venue, store: Store, tmp_path: Path
) -> None:
    code = venue.code()
    other = Store(tmp_path / "other" / "scanner.sqlite3")
    try:
        ScannerPairing(other).pair(target_from_input(venue.url, code), "Other tablet")
    finally:
        other.close()
    dialog = open_dialog()
    dialog.url_edit.setText(venue.url)
    dialog.code_edit.setText(code)

    press_pair(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.error.isVisible() and not dialog.busy, timeout=20000)
    used = dialog.error.text()

    dialog.url_edit.setText(f"http://127.0.0.1:{free_port()}")
    press_pair(qtbot, dialog)
    qtbot.waitUntil(
        lambda: not dialog.busy and dialog.error.text() not in ("", used), timeout=20000
    )

    assert "already been used" in used
    assert "does not answer" in dialog.error.text()
    assert store.device() is None


def test_a_malformed_payload_or_code_is_explained_without_asking_the_venue(
    qtbot: QtBot, open_dialog: OpenDialog
) -> None:
    dialog = open_dialog()

    dialog.code_edit.setText("bilten-pair:gopher://10.0.0.2#ABCD-EFGH")
    press_pair(qtbot, dialog)
    not_a_qr = dialog.error.text()
    dialog.url_edit.setText("10.0.0.2")
    dialog.code_edit.setText("ABC")
    press_pair(qtbot, dialog)

    assert "not a working pairing QR" in not_a_qr
    assert "8 letters and digits" in dialog.error.text()
    assert not dialog.busy


@pytest.fixture
def announced(tmp_path: Path) -> Iterator[Venue]:
    need(multicast_loops(), "IPv4 multicast on the loopback interface (mDNS)")
    name = f"Arena {uuid.uuid4().hex[:6]}"
    venue_store = VenueStore(tmp_path / "announced" / "venue.sqlite3")
    venue_store.set_cloud_link(CloudLink(f"http://127.0.0.1:{free_port()}", "key", name))
    port = free_port()
    settings = VenueSettings(data_dir=tmp_path / "announced", port=port)
    announcer = VenueAnnouncer(host="127.0.0.1", port=port, venue_name=name)
    app = create_app(settings, store=venue_store, sync=False, announcer=announcer)
    with serving(app, port) as server:
        yield Venue(server.url, venue_store, TicketMaker(event_id=7, key_id=70))
    venue_store.close()


def test_a_venue_found_on_the_lan_is_listed_and_picking_it_fills_the_address(
    qtbot: QtBot, open_dialog: OpenDialog, announced: Venue, store: Store
) -> None:
    dialog = open_dialog(loopback_browser)

    qtbot.waitUntil(
        lambda: any(v.url == announced.url for v in dialog.venue_items()), timeout=20000
    )
    row = [v.url for v in dialog.venue_items()].index(announced.url)
    item = dialog.venue_list.item(row)
    rect = dialog.venue_list.visualItemRect(item)
    qtbot.mouseClick(dialog.venue_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.url_edit.text() == announced.url
    qtbot.keyClicks(dialog.code_edit, announced.code())
    with qtbot.waitSignal(dialog.paired, timeout=20000):
        press_pair(qtbot, dialog)

    device = store.device()
    assert device is not None
    assert device.venue_url == announced.url


def test_an_unpaired_scanner_opens_the_gate_window_once_paired(
    qtbot: QtBot, venue: Venue, store: Store
) -> None:
    opened: list[MainWindow] = []

    def open_gate() -> MainWindow:
        device = store.device()
        assert device is not None
        window = MainWindow(ScannerCore(store, HybridClock(device.device_id)))
        qtbot.addWidget(window)
        opened.append(window)
        return window

    launcher = GateLauncher(store, open_gate, browser_factory=None)
    launcher.start()
    dialog = launcher.pair_dialog
    assert dialog is not None
    qtbot.addWidget(dialog)
    qtbot.waitExposed(dialog)
    assert opened == []

    dialog.url_edit.setText(venue.payload())
    press_pair(qtbot, dialog)
    qtbot.waitUntil(lambda: launcher.window is not None, timeout=20000)

    assert launcher.window is opened[0]
    assert launcher.window.isVisible()
    assert not dialog.isVisible()
    assert "East" in launcher.window.windowTitle()
    launcher.shutdown()


def test_a_paired_scanner_goes_straight_to_the_gate_window(
    qtbot: QtBot, venue: Venue, store: Store
) -> None:
    ScannerPairing(store).pair(target_from_payload(venue.payload()), "East 1")
    windows: list[MainWindow] = []

    def open_gate() -> MainWindow:
        device = store.device()
        assert device is not None
        window = MainWindow(ScannerCore(store, HybridClock(device.device_id)))
        qtbot.addWidget(window)
        windows.append(window)
        return window

    launcher = GateLauncher(store, open_gate, browser_factory=None)
    launcher.start()

    assert launcher.pair_dialog is None
    assert launcher.window is windows[0]
    launcher.shutdown()
