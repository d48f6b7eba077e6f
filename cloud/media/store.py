"""Where uploaded media live. Names are fingerprints of the content (a SHA-256 prefix plus
the format's extension), so a name never changes meaning and browsers may cache it forever;
nothing is ever overwritten."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from cloud.errors import InvalidInput, NotFound

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
EXTENSIONS = {content_type: ext for ext, content_type in CONTENT_TYPES.items()}
# Exactly what put() makes, so a name from a URL can never reach outside the store.
_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")


def is_media_name(name: str) -> bool:
    return _NAME.fullmatch(name) is not None


def content_type_of(name: str) -> str:
    return CONTENT_TYPES[name.rpartition(".")[2]]


class MediaStore(Protocol):
    def put(self, data: bytes, content_type: str) -> str:
        """Store ``data`` and return its name; the same bytes always get the same name."""
        ...

    def open(self, name: str) -> BinaryIO:
        """The stored bytes; NotFound for a name never stored (or not a media name)."""
        ...

    def path(self, name: str) -> Path | None:
        """The file on this machine, when the store keeps one, for serving it directly."""
        ...

    def url(self, name: str) -> str:
        """Where browsers fetch it."""
        ...


class FileMediaStore:
    """Media as files in one directory (``<data_dir>/media``)."""

    def __init__(self, root: Path, base_url: str = "/media") -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")

    def put(self, data: bytes, content_type: str) -> str:
        ext = EXTENSIONS.get(content_type)
        if ext is None:
            raise InvalidInput(f"media of type {content_type!r} cannot be stored")
        name = f"{hashlib.sha256(data).hexdigest()[:32]}.{ext}"
        target = self.root / name
        if target.exists():
            return name
        self.root.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed into place, so a reader never sees half a file.
        fd, name_aside = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        aside = Path(name_aside)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            aside.chmod(0o644)
            aside.replace(target)
        except BaseException:
            aside.unlink(missing_ok=True)
            raise
        return name

    def path(self, name: str) -> Path | None:
        if not is_media_name(name):
            return None
        target = self.root / name
        return target if target.is_file() else None

    def open(self, name: str) -> BinaryIO:
        target = self.path(name)
        if target is None:
            raise NotFound(f"no media named {name[:80]!r}")
        return target.open("rb")

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"


def media_store(data_dir: Path) -> MediaStore:
    """The store the app uses; the one place to choose another (e.g. object storage)."""
    return FileMediaStore(data_dir / "media")
