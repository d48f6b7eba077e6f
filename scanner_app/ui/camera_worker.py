"""Reads frames off the UI thread, shows them, and reports the QR codes found in them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from scanner_app.debounce import Debounce
from scanner_app.decode import NOTHING, Decoded, Frame, read_codes
from scanner_app.errors import ScannerError
from scanner_app.sources import FrameSource

Decoder = Callable[[Frame], Decoded]

PREVIEW_FPS = 15.0
PREVIEW_WIDTH = 640


@dataclass(frozen=True, slots=True)
class FrameResult:
    """What one frame held. Immutable, so it crosses threads safely inside a signal.

    ``stage`` names the pipeline stage that read the codes (``None`` when none were read).
    """

    frame_no: int
    codes: tuple[str, ...]
    decode_ms: float
    stage: str | None = None


class CameraWorker(QObject):
    """Lives on its own QThread; ``run`` loops until the source ends or ``stop`` is called.

    Signals, all emitted from the worker's thread and delivered queued to the UI:

    - ``preview_ready(QImage)``: the frame as the camera sees it, scaled down to at most
      ``preview_width`` pixels wide and sent at most ``preview_fps`` times a second, so a
      preview widget can paint it straight away without slowing the window. It is sent
      before the frame is decoded, so decoding never makes the picture lag. The image owns
      its pixels and may be kept.
    - ``frame_decoded(FrameResult)``: every frame, with every code read in it; for
      statistics such as decode time.
    - ``codes_found(FrameResult)``: only frames that hold a code not seen in the last
      ``debounce.hold`` seconds, with just those new codes. A ticket held in front of the
      camera for a while is one scan; shown again after it was out of view, it is another.
    - ``failed(str)``: the source broke (camera unplugged, unreadable file).
    - ``finished()``: the loop ended, whatever the reason.
    """

    preview_ready = Signal(QImage)
    frame_decoded = Signal(object)  # FrameResult, for every frame
    codes_found = Signal(object)  # FrameResult, only for frames with at least one new code
    failed = Signal(str)
    finished = Signal()

    def __init__(
        self,
        source: FrameSource,
        decoder: Decoder = read_codes,
        debounce: Debounce | None = None,
        *,
        preview_fps: float = PREVIEW_FPS,
        preview_width: int = PREVIEW_WIDTH,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._source = source
        self._decoder = decoder
        self._debounce = debounce if debounce is not None else Debounce(clock=clock)
        self._preview_every = 1.0 / preview_fps if preview_fps > 0 else float("inf")
        self._preview_width = preview_width
        self._clock = clock
        self._last_preview: float | None = None
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
                self._maybe_preview(frame)
                self._decode(frame_no, frame)
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

    def _decode(self, frame_no: int, frame: Frame) -> None:
        started = time.perf_counter()
        try:
            decoded = self._decoder(frame)
        except ValueError:
            decoded = NOTHING  # not an image frame; the next one may be fine
        ms = (time.perf_counter() - started) * 1000
        stage = str(decoded.stage) if decoded.stage is not None else None
        self.frame_decoded.emit(FrameResult(frame_no, decoded.codes, ms, stage))
        fresh = self._debounce.fresh(decoded.codes)
        if fresh:
            self.codes_found.emit(FrameResult(frame_no, fresh, ms, stage))

    def _maybe_preview(self, frame: Frame) -> None:
        now = self._clock()
        # A millisecond of slack: a 30 fps camera's frames arrive a hair early as often as
        # late, and without it every other preview would be skipped at random.
        due = self._preview_every - 0.001
        if self._last_preview is not None and now - self._last_preview < due:
            return
        image = preview_image(frame, self._preview_width)
        if image is not None:
            self._last_preview = now
            self.preview_ready.emit(image)


def preview_image(frame: Frame, max_width: int = PREVIEW_WIDTH) -> QImage | None:
    """``frame`` (grey, BGR or BGRA, 8-bit) as a QImage at most ``max_width`` wide, owning
    its own pixels; ``None`` for anything that is not such a frame."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.size == 0:
        return None
    if frame.ndim == 3 and frame.shape[2] == 3:
        pixels, fmt = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), QImage.Format.Format_RGB888
    elif frame.ndim == 3 and frame.shape[2] == 4:
        pixels, fmt = cv2.cvtColor(frame, cv2.COLOR_BGRA2RGBA), QImage.Format.Format_RGBA8888
    elif frame.ndim == 2:
        pixels, fmt = frame, QImage.Format.Format_Grayscale8
    else:
        return None
    height, width = pixels.shape[:2]
    if width > max_width > 0:
        size = (max_width, max(1, round(height * max_width / width)))
        pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    pixels = np.ascontiguousarray(pixels)
    height, width = pixels.shape[:2]
    image = QImage(pixels.data, width, height, pixels.strides[0], fmt)
    # The QImage above borrows numpy's buffer; the copy owns its pixels and outlives it.
    return image.copy()
