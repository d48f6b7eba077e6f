"""Reads frames off the UI thread and reports the QR codes found in them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot

from scanner_app.decode import Frame, decode_frame
from scanner_app.errors import ScannerError
from scanner_app.sources import FrameSource

Decoder = Callable[[Frame], list[str]]


@dataclass(frozen=True, slots=True)
class FrameResult:
    """What one frame held. Immutable, so it crosses threads safely inside a signal."""

    frame_no: int
    codes: tuple[str, ...]
    decode_ms: float


class CameraWorker(QObject):
    """Lives on its own QThread; ``run`` loops until the source ends or ``stop`` is called."""

    frame_decoded = Signal(object)  # FrameResult, for every frame
    codes_found = Signal(object)  # FrameResult, only for frames with at least one code
    failed = Signal(str)
    finished = Signal()

    def __init__(self, source: FrameSource, decoder: Decoder = decode_frame) -> None:
        super().__init__()
        self._source = source
        self._decoder = decoder
        self._stop = threading.Event()

    @Slot()
    def run(self) -> None:
        frame_no = 0
        try:
            while not self._stop.is_set():
                frame = self._source.read()
                if frame is None:
                    break
                frame_no += 1
                started = time.perf_counter()
                try:
                    codes = tuple(self._decoder(frame))
                except ValueError:
                    codes = ()  # not an image frame; the next one may be fine
                result = FrameResult(frame_no, codes, (time.perf_counter() - started) * 1000)
                self.frame_decoded.emit(result)
                if codes:
                    self.codes_found.emit(result)
                if self._source.frame_interval:
                    self._stop.wait(self._source.frame_interval)
        except ScannerError as exc:
            self.failed.emit(str(exc))
        finally:
            self._source.close()
            self.finished.emit()

    def stop(self) -> None:
        """Thread-safe: the loop notices at its next frame."""
        self._stop.set()
