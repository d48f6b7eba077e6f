"""The pairing window: shown until this scanner is paired with a venue server.

Staff scan the pairing QR (a keyboard-wedge scanner types it into whichever box has the
focus), paste it, or pick a venue found on the LAN / type its address, then type the code.
Looking for venues runs on zeroconf's threads and pairing on a worker thread, so the window
never freezes; every problem is shown in plain words under the form.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from scanner_app.discovery import DiscoveryUnavailable, FoundVenue, Listener, VenueBrowser
from scanner_app.errors import ScannerError
from scanner_app.pairing import (
    PairingFailed,
    PairingProblem,
    PairingResult,
    ScannerPairing,
    check_device_name,
    target_from_input,
    target_from_payload,
)
from shared.pairing import PAIRING_SCHEME, PairingPayload

BrowserFactory = Callable[[Listener], VenueBrowser]

_STYLE = """
QWidget { font-size: 16pt; }
QLineEdit, QPushButton { min-height: 56px; padding: 4px 12px; }
QListWidget::item { min-height: 56px; padding: 8px; }
QLabel#heading { font-size: 24pt; font-weight: bold; }
QLabel#error { color: #c62828; font-weight: bold; }
"""


def lan_browser(on_change: Listener) -> VenueBrowser:
    return VenueBrowser(on_change=on_change)


def split_payload(text: str) -> tuple[str, str] | None:
    """``text`` cut where a pairing payload starts inside it (a wedge typing after what was
    already in the box), or None when it holds none."""
    at = text.lower().find(PAIRING_SCHEME)
    return None if at < 0 else (text[:at], text[at:])


class PairWorker(QObject):
    """Runs one pairing at a time on its own thread; the window only shows the outcome."""

    progress = Signal(int, int)  # tickets fetched, remaining
    paired = Signal(object)  # PairingResult
    failed = Signal(object)  # PairingFailed, or another ScannerError (the database)

    def __init__(self, pairing: ScannerPairing) -> None:
        super().__init__()
        self._pairing = pairing

    @Slot(object, str)
    def pair(self, target: PairingPayload, device_name: str) -> None:
        try:
            result = self._pairing.pair(target, device_name, progress=self.progress.emit)
        except ScannerError as exc:
            self.failed.emit(exc)
            return
        self.paired.emit(result)


class _VenueRelay(QObject):
    """Carries the browser's updates from zeroconf's thread to the window's thread."""

    changed = Signal(object)  # list[FoundVenue]


class PairDialog(QDialog):
    paired = Signal(object)  # PairingResult, just before the window closes
    _pair_requested = Signal(object, str)

    def __init__(
        self,
        pairing: ScannerPairing,
        browser_factory: BrowserFactory | None = lan_browser,
        device_name: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Pair this scanner \u2014 Bilten gate"))
        self.setStyleSheet(_STYLE)
        self.result_pairing: PairingResult | None = None
        self._busy = False
        self._browser: VenueBrowser | None = None
        self._filling = False

        self._build(device_name)

        self._thread = QThread(self)
        self._worker = PairWorker(pairing)
        self._worker.moveToThread(self._thread)
        self._pair_requested.connect(self._worker.pair)
        self._worker.paired.connect(self._on_paired)
        self._worker.failed.connect(self._on_failed)
        self._worker.progress.connect(self._on_progress)
        self._thread.start()

        self._relay = _VenueRelay(self)
        self._relay.changed.connect(self.show_venues)
        self._start_browsing(browser_factory)
        self.code_edit.setFocus()

    def _build(self, device_name: str | None) -> None:
        heading = QLabel(self.tr("Pair this scanner with the venue server"))
        heading.setObjectName("heading")
        heading.setWordWrap(True)
        hint = QLabel(
            self.tr(
                "Scan the pairing QR shown on the venue server, or choose the venue server "
                "and type its pairing code."
            )
        )
        hint.setWordWrap(True)

        self.venue_list = QListWidget()
        # Focus stays in a text box, so a wedge scanner's typing always lands in one.
        self.venue_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.venue_list.currentItemChanged.connect(self._venue_chosen)
        self.discovery_state = QLabel()
        self.discovery_state.setWordWrap(True)

        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText(self.tr("e.g. http://192.168.1.20:8100"))
        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText(self.tr("e.g. K7PM-3QXA"))
        self.name_edit = QLineEdit(device_name if device_name is not None else _machine_name())
        self.name_edit.setPlaceholderText(self.tr("e.g. North 1"))
        self.name_edit.setMaxLength(64)
        form = QFormLayout()
        form.addRow(self.tr("Venue server address"), self.url_edit)
        form.addRow(self.tr("Pairing code"), self.code_edit)
        form.addRow(self.tr("Name of this scanner"), self.name_edit)
        for edit in (self.url_edit, self.code_edit, self.name_edit):
            edit.textChanged.connect(lambda text, box=edit: self._typed(box, text))

        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.state = QLabel()
        self.state.setWordWrap(True)

        buttons = self._buttons()

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addWidget(self.venue_list, 1)
        layout.addWidget(self.discovery_state)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.state)
        layout.addLayout(buttons)

    def _buttons(self) -> QHBoxLayout:
        self.pair_button = QPushButton(self.tr("Pair"))
        self.pair_button.setDefault(True)
        self.pair_button.setMinimumWidth(220)
        self.pair_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pair_button.clicked.connect(self.pair)
        self.quit_button = QPushButton(self.tr("Quit"))
        self.quit_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.quit_button.setMinimumWidth(160)
        self.quit_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.quit_button)
        buttons.addWidget(self.pair_button)
        return buttons

    # -- looking for venues ----------------------------------------------------------------

    def _start_browsing(self, factory: BrowserFactory | None) -> None:
        if factory is None:
            self.venue_list.hide()
            self.discovery_state.setText(self.tr("Type the venue server's address below."))
            return
        try:
            self._browser = factory(self._relay.changed.emit).start()
        except DiscoveryUnavailable:
            self.venue_list.hide()
            self.discovery_state.setText(
                self.tr(
                    "This network does not allow looking for venue servers. Type the address "
                    "the venue server shows instead."
                )
            )
            return
        self.discovery_state.setText(self.tr("Looking for venue servers on this network\u2026"))

    @Slot(object)
    def show_venues(self, venues: list[FoundVenue]) -> None:
        chosen = self.chosen_venue()
        self.venue_list.blockSignals(True)
        self.venue_list.clear()
        for venue in venues:
            item = QListWidgetItem(f"{venue.label}\n{venue.url}")
            item.setData(Qt.ItemDataRole.UserRole, venue)
            self.venue_list.addItem(item)
            if chosen is not None and venue.instance == chosen.instance:
                self.venue_list.setCurrentItem(item)
        self.venue_list.blockSignals(False)
        if venues:
            self.discovery_state.setText(
                self.tr("Tap the venue server to use, or type its address.")
            )
        else:
            self.discovery_state.setText(self.tr("Looking for venue servers on this network\u2026"))

    def venue_items(self) -> list[FoundVenue]:
        items = (self.venue_list.item(row) for row in range(self.venue_list.count()))
        return [item.data(Qt.ItemDataRole.UserRole) for item in items]

    def chosen_venue(self) -> FoundVenue | None:
        for item in self.venue_list.selectedItems():
            venue: FoundVenue = item.data(Qt.ItemDataRole.UserRole)
            return venue
        return None

    def choose_venue(self, row: int) -> None:
        self.venue_list.setCurrentRow(row)

    def _venue_chosen(self, item: QListWidgetItem | None, _: QListWidgetItem | None) -> None:
        if item is not None:
            venue: FoundVenue = item.data(Qt.ItemDataRole.UserRole)
            self.url_edit.setText(venue.url)
            self.code_edit.setFocus()

    # -- typing and scanning ---------------------------------------------------------------

    def _typed(self, box: QLineEdit, text: str) -> None:
        """A whole pairing payload in any box fills the address and the code."""
        if self._filling:
            return
        found = split_payload(text)
        if found is None:
            return
        before, payload = found
        try:
            target = target_from_payload(payload)
        except PairingFailed:
            return  # still being typed by the wedge, or damaged: Pair says which
        self._filling = True
        try:
            if box is self.name_edit:
                box.setText(before)
            self.url_edit.setText(target.venue_url)
            self.code_edit.setText(target.code)
        finally:
            self._filling = False
        self._clear_error()
        self.state.setText(self.tr("Pairing QR read. Press Pair to continue."))

    # -- pairing ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._busy

    def pair(self) -> None:
        if self._busy:
            return
        try:
            target = self._target()
            name = check_device_name(self.name_edit.text())
        except PairingFailed as exc:
            self._show_failure(exc)
            return
        self._set_busy(True)
        self._clear_error()
        self.state.setText(self.tr("Pairing with {0}\u2026").format(target.venue_url))
        self._pair_requested.emit(target, name)

    def _target(self) -> PairingPayload:
        for box in (self.url_edit, self.code_edit, self.name_edit):
            found = split_payload(box.text())
            if found is not None:
                try:
                    return target_from_payload(found[1])
                except PairingFailed as exc:
                    # Scanned or pasted whole: the QR is what is wrong, not a box.
                    raise PairingFailed(PairingProblem.BAD_PAYLOAD, exc.detail) from exc
        return target_from_input(self.url_edit.text(), self.code_edit.text())

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.url_edit, self.code_edit, self.name_edit, self.venue_list):
            widget.setEnabled(not busy)
        self.pair_button.setEnabled(not busy)

    @Slot(int, int)
    def _on_progress(self, fetched: int, remaining: int) -> None:
        self.state.setText(
            self.tr("Paired. Downloading tickets: {0} of {1}\u2026").format(
                fetched, fetched + remaining
            )
        )

    @Slot(object)
    def _on_paired(self, result: PairingResult) -> None:
        self._set_busy(False)
        self.result_pairing = result
        device = result.device
        self.state.setText(
            self.tr("Paired with {0} as gate {1}. {2} tickets ready.").format(
                device.venue_name or device.venue_url, device.gate, result.tickets
            )
        )
        self.paired.emit(result)
        self.accept()

    @Slot(object)
    def _on_failed(self, error: ScannerError) -> None:
        self._set_busy(False)
        self.state.clear()
        self._show_failure(error)

    def _show_failure(self, error: ScannerError) -> None:
        if isinstance(error, PairingFailed):
            text, box = self._explain(error)
        else:
            text = self.tr("This scanner could not save the pairing: {0}").format(str(error))
            box = None
        self.error.setText(text)
        self.error.show()
        if box is not None and not self._busy:
            box.setFocus()
            box.selectAll()

    def _clear_error(self) -> None:
        self.error.clear()
        self.error.hide()

    def _explain(self, error: PairingFailed) -> tuple[str, QLineEdit | None]:
        """The failure in plain words, and the box to fix."""
        url, code = self.url_edit, self.code_edit
        words: dict[PairingProblem, tuple[str, QLineEdit | None]] = {
            PairingProblem.BAD_PAYLOAD: (
                self.tr(
                    "This is not a working pairing QR. Scan the QR the venue server shows, or "
                    "type its address and code."
                ),
                code,
            ),
            PairingProblem.BAD_URL: (
                self.tr(
                    "Check the venue server's address. It looks like http://192.168.1.20:8100."
                ),
                url,
            ),
            PairingProblem.BAD_CODE: (
                self.tr("A pairing code has 8 letters and digits, like K7PM-3QXA."),
                code,
            ),
            PairingProblem.BAD_NAME: (
                self.tr("Give this scanner a name, like North 1."),
                self.name_edit,
            ),
            PairingProblem.UNREACHABLE: (
                self.tr(
                    "The venue server does not answer. Check that it is running and that this "
                    "scanner is on the venue's network."
                ),
                url,
            ),
            PairingProblem.NOT_A_VENUE: (
                self.tr(
                    "Something answered at this address, but it is not a Bilten venue server. "
                    "Check the address."
                ),
                url,
            ),
            PairingProblem.UNKNOWN_CODE: (
                self.tr(
                    "Wrong code: the venue server does not know it. Check the code, or make a "
                    "new one on the venue server."
                ),
                code,
            ),
            PairingProblem.USED_CODE: (
                self.tr("This code has already been used. Make a new code on the venue server."),
                code,
            ),
            PairingProblem.EXPIRED_CODE: (
                self.tr("This code has expired. Make a new code on the venue server."),
                code,
            ),
        }
        if error.problem is PairingProblem.BAD_URL and not url.text().strip():
            text = self.tr(
                "Type the venue server's address, tap a venue server in the list, or scan the "
                "pairing QR."
            )
            return text, url
        fallback = self.tr("The venue server refused to pair this scanner: {0}").format(
            error.detail
        )
        return words.get(error.problem, (fallback, None))

    # -- closing ---------------------------------------------------------------------------

    def reject(self) -> None:
        # A pairing in flight finishes first; closing then would leave it half-done.
        if not self._busy:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self._busy:
            event.ignore()
            return
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self.shutdown()
        super().done(result)

    def shutdown(self) -> None:
        """Stop looking for venues and stop the worker thread; safe to call more than once."""
        browser, self._browser = self._browser, None
        if browser is not None:
            browser.close()
        self._thread.quit()
        self._thread.wait()


def _machine_name() -> str:
    return socket.gethostname().split(".")[0][:64]
