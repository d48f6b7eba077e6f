"""Where frames come from: a camera, an image, a folder of images or a video file.

Every source answers ``read()`` with the next frame, or ``None`` once it has no more (a camera
never runs out; it raises SourceError when it stops delivering). ``frame_interval`` is how
long the reader should wait between frames so that a folder or video plays at a pace a person
can follow.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

import cv2

from scanner_app.decode import Frame, read_image
from scanner_app.errors import SourceError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})


class FrameSource(Protocol):
    frame_interval: float

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...

    def describe(self) -> str: ...


class CameraSource:
    """A camera by OpenCV index. Opening is deferred to the first read, off the UI thread.

    It asks for 1280x720: at a lower resolution a phone held at arm's length shows its code
    with too few pixels per module to read. Cameras that cannot do it deliver what they can.
    """

    frame_interval = 0.0

    def __init__(
        self, index: int = 0, failures_allowed: int = 30, size: tuple[int, int] = (1280, 720)
    ) -> None:
        self.index = index
        self.size = size
        self._capture: cv2.VideoCapture | None = None
        self._failures_allowed = failures_allowed

    def read(self) -> Frame | None:
        if self._capture is None:
            capture = cv2.VideoCapture(self.index)
            if not capture.isOpened():
                capture.release()
                raise SourceError(f"camera {self.index} cannot be opened")
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
            # A short queue: the frame decoded is the one in front of the camera now, not
            # one from before the ticket came into view.
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
            self._capture = capture
        # Cameras drop the odd frame; only a run of failures means the camera is gone.
        for _ in range(self._failures_allowed):
            ok, frame = self._capture.read()
            if ok and frame is not None:
                return frame
        raise SourceError(f"camera {self.index} stopped delivering frames")

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def describe(self) -> str:
        return f"camera {self.index}"


class ImageSource:
    """One image file, read once."""

    frame_interval = 0.0

    def __init__(self, path: Path) -> None:
        self.path = path
        self._done = False

    def read(self) -> Frame | None:
        if self._done:
            return None
        self._done = True
        try:
            return read_image(self.path)
        except (OSError, ValueError) as exc:
            raise SourceError(f"cannot read image {self.path}: {exc}") from exc

    def close(self) -> None:
        self._done = True

    def describe(self) -> str:
        return f"image {self.path.name}"


class FolderSource:
    """The images in a folder, in name order, one frame each; unreadable files are skipped."""

    def __init__(self, folder: Path, frame_interval: float = 1.0) -> None:
        if not folder.is_dir():
            raise SourceError(f"{folder} is not a folder")
        self.folder = folder
        self.frame_interval = frame_interval
        self._files = sorted(
            (p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
            key=lambda p: p.name,
        )
        self._next = 0

    def read(self) -> Frame | None:
        while self._next < len(self._files):
            path = self._files[self._next]
            self._next += 1
            try:
                return read_image(path)
            except (OSError, ValueError) as exc:
                log.warning("skipping %s: %s", path, exc)
        return None

    def close(self) -> None:
        self._next = len(self._files)

    def describe(self) -> str:
        return f"folder {self.folder.name} ({len(self._files)} images)"


class VideoSource:
    """A video file, played at its own frame rate."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise SourceError(f"video {path} does not exist")
        self.path = path
        self._capture = cv2.VideoCapture(str(path))
        if not self._capture.isOpened():
            raise SourceError(f"cannot open video {path}")
        fps = self._capture.get(cv2.CAP_PROP_FPS) or 0.0
        self.frame_interval = 1.0 / fps if 1.0 <= fps <= 240.0 else 1.0 / 25

    def read(self) -> Frame | None:
        ok, frame = self._capture.read()
        return frame if ok else None

    def close(self) -> None:
        self._capture.release()

    def describe(self) -> str:
        return f"video {self.path.name}"


def open_source(spec: str, folder_interval: float = 1.0) -> FrameSource:
    """``camera:0``, ``file:PATH``, ``folder:DIR`` or ``video:PATH``."""
    kind, sep, value = spec.partition(":")
    if not sep or not value:
        raise SourceError(f"bad source {spec!r}: use camera:N, file:PATH, folder:DIR or video:PATH")
    if kind == "camera":
        try:
            return CameraSource(int(value))
        except ValueError as exc:
            raise SourceError(f"bad camera index {value!r}") from exc
    if kind == "file":
        path = Path(value)
        if not path.is_file():
            raise SourceError(f"image {path} does not exist")
        return ImageSource(path)
    if kind == "folder":
        return FolderSource(Path(value), folder_interval)
    if kind == "video":
        return VideoSource(Path(value))
    raise SourceError(f"unknown source kind {kind!r}: use camera, file, folder or video")
