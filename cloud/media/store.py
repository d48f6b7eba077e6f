"""Where uploaded media live. Names are fingerprints of the content (a SHA-256 prefix plus
the format's extension), so a name never changes meaning and browsers (and a CDN in front)
may cache it forever; nothing is ever overwritten.

A picture is stored in several sizes; the store also keeps which sizes belong to a picture
(its rendition set, recorded under the largest size's name), so pages can offer them all
with ``srcset`` and let the browser pick. ``MediaStore`` is what another store (an object
store behind a CDN) implements; ``FileMediaStore`` keeps files in one directory."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Rendition:
    """One stored size of a picture."""

    width: int
    name: str


class MediaStore(Protocol):
    def put(self, data: bytes, content_type: str) -> str:
        """Store ``data`` and return its name; the same bytes always get the same name."""
        ...

    def open(self, name: str) -> BinaryIO:
        """The stored bytes; NotFound for a name never stored (or not a media name)."""
        ...

    def path(self, name: str) -> Path | None:
        """The file on this machine, which ``/media`` serves; None for a store that keeps
        no files here (its ``url`` then points where browsers fetch it, e.g. a CDN)."""
        ...

    def url(self, name: str) -> str:
        """Where browsers fetch it."""
        ...

    def put_renditions(self, name: str, renditions: list[Rendition]) -> None:
        """Record the sizes of the picture stored as ``name`` (its largest size)."""
        ...

    def renditions(self, name: str) -> list[Rendition]:
        """The sizes recorded for ``name``, smallest first; [] when none were."""
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
        self._write(name, data)
        return name

    def _write(self, name: str, data: bytes) -> None:
        target = self.root / name
        if target.exists():
            return
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

    def put_renditions(self, name: str, renditions: list[Rendition]) -> None:
        if not is_media_name(name) or not all(is_media_name(r.name) for r in renditions):
            raise InvalidInput("renditions are recorded for stored media only")
        entries = sorted((r.width, r.name) for r in renditions)
        # The set is fixed by the picture's content, like the name it is kept under.
        self._write(_set_name(name), json.dumps(entries).encode())

    def renditions(self, name: str) -> list[Rendition]:
        if not is_media_name(name):
            return []
        return list(_read_set(self.root / _set_name(name)))


def _set_name(name: str) -> str:
    return f"{name.rpartition('.')[0]}.sizes.json"


# Sets read so far: a set never changes once written, so it is read from disk once.
_SETS: dict[Path, tuple[Rendition, ...]] = {}
_MAX_SETS = 4096


def _read_set(path: Path) -> tuple[Rendition, ...]:
    found = _SETS.get(path)
    if found is not None:
        return found
    try:
        entries = json.loads(path.read_bytes())
        value = tuple(Rendition(int(width), str(name)) for width, name in entries)
    except FileNotFoundError:
        return ()  # a picture stored before sets were kept, or not yet recorded
    except (ValueError, TypeError):
        return ()
    if len(_SETS) >= _MAX_SETS:
        _SETS.clear()
    _SETS[path] = value
    return value


def media_store(data_dir: Path) -> MediaStore:
    """The store the app uses; the one place to choose another (e.g. object storage)."""
    return FileMediaStore(data_dir / "media")
