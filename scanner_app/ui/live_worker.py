"""Runs the venue's live feed on its own thread and tells the window what it brought.

Wiring, from the window (the worker's ``run`` blocks its thread until ``stop``)::

    thread = QThread(window)
    worker = LiveWorker(store, clock)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    worker.scans_arrived.connect(...)     # int: scans from other gates just stored
    worker.manifest_changed.connect(...)  # the venue's tickets changed: sync the manifest now
    worker.connected.connect(...)         # bool: the live feed came up (True) or went down
    thread.start()
    ...
    worker.stop()  # from the UI thread: a direct call, not a queued slot (its thread is busy)
    thread.quit()
    thread.wait()

Signals are emitted on the worker's thread; Qt queues them to receivers on the UI thread.
``scans_arrived`` fires only for scans new to this gate (not its own, echoed back), so a
refresh of counts or the recent-scans list is enough. ``manifest_changed`` fires on connecting
too when the venue holds ticket changes this gate has not pulled; a slot that requests the
usual sync round (which pulls the manifest) is the intended answer. ``connected`` fires on
changes only and is False after ``stop``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from scanner_app.live import Backoff, LiveClient
from scanner_app.store import Store
from shared.clock import HybridClock


class LiveWorker(QObject):
    """A QObject around :class:`scanner_app.live.LiveClient` for a QThread."""

    scans_arrived = Signal(int)
    manifest_changed = Signal()
    connected = Signal(bool)
    finished = Signal()

    def __init__(
        self, store: Store, clock: HybridClock | None = None, backoff: Backoff | None = None
    ) -> None:
        super().__init__()
        self._client = LiveClient(
            store,
            clock,
            on_scans=self.scans_arrived.emit,
            on_manifest=self.manifest_changed.emit,
            on_connected=self.connected.emit,
            backoff=backoff,
        )

    @property
    def is_connected(self) -> bool:
        return self._client.connected

    @Slot()
    def run(self) -> None:
        """Follow the live feed until :meth:`stop`; never raises."""
        try:
            self._client.run()
        finally:
            self.finished.emit()

    def stop(self) -> None:
        """Make :meth:`run` return promptly; safe from any thread, even before it started."""
        self._client.stop()
