"""The scanner's QR pipeline: grayscale frames in, ticket strings out.

pyzbar is restricted to QR codes so that barcodes on drinks or wristbands near the gate are
never mistaken for tickets, and so no time is spent looking for other symbologies.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

# OpenCV hands out 8-bit frames, but its stubs type them loosely.
Frame = npt.NDArray[Any]

_QR_ONLY = [ZBarSymbol.QRCODE]


def to_gray(frame: Frame) -> Frame:
    if frame.ndim == 2:
        return frame
    if frame.ndim == 3 and frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    if frame.ndim == 3 and frame.shape[2] == 3:
        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    raise ValueError(f"not an image frame: shape {frame.shape}")


def decode_frame(frame: Frame, try_inverted: bool = True) -> list[str]:
    """Every QR code in ``frame``, as text, in reading order, without duplicates.

    Phones in dark mode show light modules on a dark ground, which zbar does not read; when a
    frame yields nothing it is tried once more inverted.
    """
    gray = to_gray(frame)
    codes = _zbar(gray)
    if not codes and try_inverted:
        codes = _zbar(cv2.bitwise_not(gray))
    return codes


def _zbar(gray: Frame) -> list[str]:
    found: list[str] = []
    for symbol in zbar_decode(gray, symbols=_QR_ONLY):
        text = symbol.data.decode("utf-8", "replace")
        if text not in found:
            found.append(text)
    return found


def read_image(path: Path) -> Frame:
    """A grayscale frame from an image file. Raises OSError or ValueError if unreadable."""
    # np.fromfile + imdecode, unlike imread, copes with non-ASCII paths on Windows.
    data = np.fromfile(path, dtype=np.uint8)
    if data.size == 0:
        raise ValueError("empty file")
    try:
        image = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    except cv2.error as exc:
        raise ValueError(f"not an image: {exc}") from exc
    if image is None:
        raise ValueError("not an image OpenCV can read")
    return image


@dataclass(frozen=True, slots=True)
class ImageResult:
    file: str
    codes: list[str]
    ms: float
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"file": self.file, "codes": self.codes, "ms": self.ms}
        if self.error is not None:
            data["error"] = self.error
        return data


def decode_file(path: Path) -> ImageResult:
    """Decode one image file; an unreadable or missing file is an answer, not a crash."""
    started = time.perf_counter()
    try:
        frame = read_image(path)
    except (OSError, ValueError) as exc:
        ms = round((time.perf_counter() - started) * 1000, 3)
        return ImageResult(str(path), [], ms, f"cannot read image: {exc}")
    started = time.perf_counter()
    codes = decode_frame(frame)
    ms = round((time.perf_counter() - started) * 1000, 3)
    return ImageResult(str(path), codes, ms)
