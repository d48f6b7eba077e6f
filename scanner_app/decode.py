"""The scanner's QR pipeline: camera frames in, ticket strings out.

A door camera delivers 1280x720 frames and most of them show no ticket at all, so the
pipeline is a ladder: cheap stages run on every frame and the costly ones only when they are
likely to pay off.

1. ``zxing-fast``: zxing-cpp on the frame shrunk to half size. Reads most codes held at a
   normal distance, upright or not, printed or on a dark-mode phone, in under a millisecond.
2. ``zxing-full``: zxing-cpp at full resolution, for codes held far away or a little soft.
3. When either zxing pass *located* a QR symbol but could not decode it (a checksum failure:
   glare, crumpled paper, blur), harder stages run on a crop around that symbol only, which
   keeps them cheap: sharpened, enlarged and locally thresholded versions for zxing, then
   zbar, which binarises differently and reads most glare-struck codes zxing gives up on,
   then OpenCV's detector as a last resort.
4. Only for still images (``thorough=True``), where nobody waits for the next frame: zbar
   and the other hard stages on the whole frame. A camera skips them: zbar alone takes
   tens of milliseconds on a busy 1280x720 frame with no ticket in it, which is most
   frames, and the next frame is a better second chance anyway.

Every stage is restricted to QR codes, so barcodes on drink vouchers or wristbands near the
gate are never mistaken for tickets, and no time is spent looking for other symbologies.
``benchmarks/scan_pipeline.py`` measures the ladder against zbar and zxing-cpp alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp
from pyzbar.pyzbar import PyZbarError, ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

log = logging.getLogger(__name__)

# OpenCV hands out 8-bit frames, but its stubs type them loosely.
Frame = npt.NDArray[Any]

_QR_ONLY = [ZBarSymbol.QRCODE]
# A version 1 QR code is 21 modules wide; nothing smaller than that can hold one.
_MIN_SIDE = 21
# Anything past this is not a camera frame; refusing it keeps a bad file from eating memory.
_MAX_PIXELS = 50_000_000
# The half-size pass sees modules at half their size: codes held at a normal distance still
# have two pixels or more per module there, far-away ones go to the full-size pass.
_FAST_SCALE = 0.5
# A located symbol is cropped with this much of its size around it, for the quiet zone and
# for corners zxing placed a little off.
_CROP_MARGIN = 0.3
# When glare or a thumb hides two of a QR code's three finder patterns, zxing takes the one
# left for a Micro QR symbol, which is a small part of the real code: crop far around it.
_LONE_FINDER_MARGIN = 4.0
_QR_FORMATS = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
# zxing-cpp 3 counts Micro QR and rMQR as kinds of QR. Tickets are never printed as either,
# and a valid one near the gate is someone else's code; a broken one is a lone finder.
_NOT_TICKET_FORMATS = frozenset(
    getattr(zxingcpp.BarcodeFormat, name)
    for name in ("MicroQRCode", "RMQRCode")
    if hasattr(zxingcpp.BarcodeFormat, name)
)
_MAX_CROPS = 3
# Errors the decoding libraries raise on frames they cannot handle. Frames are normalised
# before they reach a library, so these are a second line of defence, not the plan.
_LIBRARY_ERRORS = (ValueError, RuntimeError, cv2.error, PyZbarError, ZeroDivisionError)


class Stage(StrEnum):
    """Which rung of the ladder read a frame; shown in statistics and the benchmark."""

    ZXING_FAST = "zxing-fast"
    ZXING_FULL = "zxing-full"
    ZXING_SHARPENED_CROP = "zxing-sharpened-crop"
    ZXING_ENLARGED_CROP = "zxing-enlarged-crop"
    ZXING_THRESHOLD_CROP = "zxing-threshold-crop"
    ZBAR_CROP = "zbar-crop"
    ZBAR_SHARPENED_CROP = "zbar-sharpened-crop"
    OPENCV_CROP = "opencv-crop"
    ZBAR = "zbar"
    ZBAR_FULL = "zbar-full"
    ZXING_SHARPENED_FULL = "zxing-sharpened-full"
    ZBAR_SHARPENED_FULL = "zbar-sharpened-full"
    OPENCV_FULL = "opencv-full"


@dataclass(frozen=True, slots=True)
class Decoded:
    """The codes one frame held, without duplicates, and the stage that read them.

    ``stage`` is ``None`` when nothing was read. Immutable, so it crosses threads safely.
    """

    codes: tuple[str, ...]
    stage: Stage | None

    @property
    def found(self) -> bool:
        return bool(self.codes)


NOTHING = Decoded((), None)


# -- public entry points --------------------------------------------------------------------


def read_codes(frame: object, thorough: bool = False) -> Decoded:
    """Every QR code in ``frame`` and the stage that found them. Never raises.

    ``frame`` may be anything a camera, a file or a caller hands over: grey, BGR or BGRA, any
    numeric dtype, empty or the wrong shape. What is not an image holds no codes.
    ``thorough`` adds whole-frame hard stages for still images, where a few tens of
    milliseconds do not matter and there is no next frame to try again with.
    """
    gray = as_gray(frame)
    if gray is None:
        return NOTHING
    return _Attempt(gray).run(thorough)


def decode_frame(frame: object) -> list[str]:
    """Every QR code in ``frame``, as text, without duplicates. Never raises."""
    return list(read_codes(frame).codes)


def as_gray(frame: object) -> Frame | None:
    """``frame`` as a contiguous 8-bit grey image, or ``None`` if it cannot be one."""
    if not isinstance(frame, np.ndarray) or frame.size == 0 or frame.size > _MAX_PIXELS * 4:
        return None
    image = frame
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        return None
    if min(image.shape[:2]) < _MIN_SIDE:
        return None
    pixels = _to_uint8(image)
    if pixels is None:
        return None
    if pixels.ndim == 3:
        code = cv2.COLOR_BGRA2GRAY if pixels.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        pixels = cv2.cvtColor(pixels, code)
    return np.ascontiguousarray(pixels)


def _to_uint8(image: Frame) -> Frame | None:
    """Bring any numeric pixel type to 0..255, the way an image viewer would show it."""
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255
    if image.dtype.kind not in "uif":
        return None
    with np.errstate(over="ignore", invalid="ignore"):  # huge values become inf, then 255
        values = np.nan_to_num(image.astype(np.float32), nan=0.0, posinf=255.0, neginf=0.0)
    if image.dtype.kind == "f" and float(values.max()) <= 1.0:
        values *= 255.0  # a float image in 0..1
    elif image.dtype.itemsize > 1 and image.dtype.kind in "ui" and float(values.max()) > 255:
        values *= 255.0 / float(np.iinfo(image.dtype).max)  # 16-bit sensors
    return np.clip(values, 0, 255).astype(np.uint8)


# -- the ladder -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Box:
    """Where a located but unread symbol sits in the full frame, in pixels."""

    x0: int
    y0: int
    x1: int
    y1: int

    def overlaps(self, other: _Box) -> bool:
        inter_w = min(self.x1, other.x1) - max(self.x0, other.x0)
        inter_h = min(self.y1, other.y1) - max(self.y0, other.y0)
        if inter_w <= 0 or inter_h <= 0:
            return False
        smaller = min(self.area, other.area)
        return inter_w * inter_h > 0.5 * smaller

    @property
    def area(self) -> int:
        return (self.x1 - self.x0) * (self.y1 - self.y0)


class _Attempt:
    """One frame's way down the ladder: remembers where zxing saw symbols it could not read."""

    def __init__(self, gray: Frame) -> None:
        self.gray = gray
        self.candidates: list[_Box] = []

    def run(self, thorough: bool) -> Decoded:
        for stage, read in self._stages(thorough):
            codes = _unique(read())
            if codes:
                return Decoded(codes, stage)
        return NOTHING

    def _stages(self, thorough: bool) -> Iterator[tuple[Stage, Callable[[], list[str]]]]:
        yield Stage.ZXING_FAST, self._zxing_fast
        yield Stage.ZXING_FULL, self._zxing_full
        for crop in self._crops():
            yield from _hard_stages(crop, on_crop=True)
        if thorough:
            yield Stage.ZBAR, lambda: _zbar_both_ways(_shrink(self.gray, _FAST_SCALE))
            yield from _hard_stages(self.gray, on_crop=False)

    def _zxing_fast(self) -> list[str]:
        small = _shrink(self.gray, _FAST_SCALE)
        return self._zxing_locating(small, scale=1 / _FAST_SCALE)

    def _zxing_full(self) -> list[str]:
        return self._zxing_locating(self.gray, scale=1.0)

    def _zxing_locating(self, image: Frame, scale: float) -> list[str]:
        """zxing's reads; symbols it located but failed to decode become crop candidates."""
        codes = []
        for barcode in _zxing_results(image, return_errors=True):
            lone_finder = barcode.format in _NOT_TICKET_FORMATS
            if barcode.valid and not lone_finder:
                codes.append(barcode.text)
            elif not barcode.valid:
                margin = _LONE_FINDER_MARGIN if lone_finder else _CROP_MARGIN
                self._add_candidate(_box_of(barcode.position, scale, self.gray.shape, margin))
        return codes

    def _add_candidate(self, box: _Box) -> None:
        if box.area <= 0 or any(box.overlaps(known) for known in self.candidates):
            return
        self.candidates.append(box)

    def _crops(self) -> Iterator[Frame]:
        # Generated lazily: candidates from the full-size pass exist only once it has run.
        for box in self.candidates[:_MAX_CROPS]:
            yield self.gray[box.y0 : box.y1, box.x0 : box.x1]


def _hard_stages(image: Frame, on_crop: bool) -> Iterator[tuple[Stage, Callable[[], list[str]]]]:
    """The costly variants. On a crop the zxing ones cost about a millisecond and go first;
    zbar and OpenCV can take tens of milliseconds, so they come last."""
    if on_crop:
        yield Stage.ZXING_SHARPENED_CROP, lambda: _zxing(_sharpen(image))
        yield Stage.ZXING_ENLARGED_CROP, lambda: _zxing(_enlarge(image))
        yield Stage.ZXING_THRESHOLD_CROP, lambda: _zxing(_threshold(image), binarized=True)
        yield Stage.ZBAR_CROP, lambda: _zbar_both_ways(image)
        yield Stage.ZBAR_SHARPENED_CROP, lambda: _zbar_both_ways(_sharpen(image))
        yield Stage.OPENCV_CROP, lambda: _opencv(image)
    else:
        yield Stage.ZBAR_FULL, lambda: _zbar_both_ways(image)
        yield Stage.ZXING_SHARPENED_FULL, lambda: _zxing(_sharpen(image))
        yield Stage.ZBAR_SHARPENED_FULL, lambda: _zbar_both_ways(_sharpen(image))
        yield Stage.OPENCV_FULL, lambda: _opencv(image)


# -- the decoders ---------------------------------------------------------------------------


def _zxing_results(image: Frame, return_errors: bool = False) -> list[zxingcpp.Barcode]:
    if min(image.shape[:2]) < _MIN_SIDE:
        return []
    try:
        return zxingcpp.read_barcodes(
            image,
            formats=_QR_FORMATS,
            # QR codes are found in any orientation anyway; this flag is for 1D barcodes.
            try_rotate=False,
            # The ladder does its own scaling, once, instead of zxing's pyramid.
            try_downscale=False,
            # Dark-mode phones show light modules on black.
            try_invert=True,
            text_mode=zxingcpp.TextMode.Plain,
            return_errors=return_errors,
        )
    except _LIBRARY_ERRORS as exc:
        log.debug("zxing could not take a %s frame: %s", image.shape, exc)
        return []


def _zxing(image: Frame, binarized: bool = False) -> list[str]:
    found = _zxing_binarized(image) if binarized else _zxing_results(image)
    return [barcode.text for barcode in found if _is_ticket_symbol(barcode)]


def _is_ticket_symbol(barcode: zxingcpp.Barcode) -> bool:
    return barcode.valid and barcode.format not in _NOT_TICKET_FORMATS


def _zxing_binarized(image: Frame) -> list[zxingcpp.Barcode]:
    """zxing on an image that is already black and white, without re-binarising it."""
    try:
        return zxingcpp.read_barcodes(
            image,
            formats=_QR_FORMATS,
            try_rotate=False,
            try_downscale=False,
            try_invert=True,
            text_mode=zxingcpp.TextMode.Plain,
            binarizer=zxingcpp.Binarizer.BoolCast,
        )
    except _LIBRARY_ERRORS as exc:
        log.debug("zxing could not take a %s frame: %s", image.shape, exc)
        return []


def _zbar(image: Frame) -> list[str]:
    if min(image.shape[:2]) < _MIN_SIDE:
        return []
    try:
        symbols = zbar_decode(image, symbols=_QR_ONLY)
    except _LIBRARY_ERRORS as exc:
        log.debug("zbar could not take a %s frame: %s", image.shape, exc)
        return []
    return [symbol.data.decode("utf-8", "replace") for symbol in symbols]


def _zbar_both_ways(image: Frame) -> list[str]:
    """zbar reads only dark modules on light; a dark-mode phone needs the inverted image."""
    return _zbar(image) or _zbar(cv2.bitwise_not(image))


_OPENCV_DETECTOR: cv2.QRCodeDetectorAruco | None = None


def _opencv(image: Frame) -> list[str]:
    """OpenCV's ArUco-based QR detector: slow and weak on dark mode, but it locates symbols
    its own way and sometimes reads a warped code both other libraries give up on."""
    global _OPENCV_DETECTOR  # noqa: PLW0603 (built once: its constructor is not free)
    if _OPENCV_DETECTOR is None:
        _OPENCV_DETECTOR = cv2.QRCodeDetectorAruco()
    for candidate in (image, cv2.bitwise_not(image)):
        try:
            ok, texts, _points, _straight = _OPENCV_DETECTOR.detectAndDecodeMulti(candidate)
        except _LIBRARY_ERRORS as exc:
            log.debug("OpenCV could not take a %s frame: %s", image.shape, exc)
            return []
        found = [text for text in texts if text] if ok else []
        if found:
            return found
    return []


# -- image helpers --------------------------------------------------------------------------


def _shrink(gray: Frame, scale: float) -> Frame:
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


def _enlarge(gray: Frame) -> Frame:
    """Softly enlarged: gives zxing's sampling grid more pixels on a warped symbol."""
    return cv2.resize(gray, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC)


def _sharpen(gray: Frame) -> Frame:
    """Unsharp mask: restores module edges that focus or motion blur smeared together."""
    blurred = cv2.GaussianBlur(gray, (0, 0), 1.0)
    return cv2.addWeighted(gray, 2.0, blurred, -1.0, 0)


def _threshold(gray: Frame) -> Frame:
    """Local mean threshold: a glare spot or a shadow shifts the level only where it falls."""
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 15, 5)


def _box_of(
    position: zxingcpp.Position, scale: float, shape: tuple[int, ...], margin_factor: float
) -> _Box:
    corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    xs = [point.x * scale for point in corners]
    ys = [point.y * scale for point in corners]
    margin = margin_factor * max(max(xs) - min(xs), max(ys) - min(ys)) + 8
    height, width = shape[:2]
    return _Box(
        x0=max(0, int(min(xs) - margin)),
        y0=max(0, int(min(ys) - margin)),
        x1=min(width, int(max(xs) + margin)),
        y1=min(height, int(max(ys) + margin)),
    )


def _unique(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(code for code in codes if code))


# -- image files ----------------------------------------------------------------------------


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
    stage: Stage | None = None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"file": self.file, "codes": self.codes, "ms": self.ms}
        if self.stage is not None:
            data["stage"] = str(self.stage)
        if self.error is not None:
            data["error"] = self.error
        return data


def decode_file(path: Path) -> ImageResult:
    """Decode one image file thoroughly; an unreadable or missing file is an answer, not a
    crash."""
    started = time.perf_counter()
    try:
        frame = read_image(path)
    except (OSError, ValueError) as exc:
        ms = round((time.perf_counter() - started) * 1000, 3)
        return ImageResult(str(path), [], ms, f"cannot read image: {exc}")
    started = time.perf_counter()
    decoded = read_codes(frame, thorough=True)
    ms = round((time.perf_counter() - started) * 1000, 3)
    return ImageResult(str(path), list(decoded.codes), ms, stage=decoded.stage)
