from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath
from litestar.response import File

from cloud.access import Access
from cloud.deps import Settings
from cloud.errors import NotFound
from cloud.media.store import content_type_of, media_store

# Names are content fingerprints: what a name points to never changes.
IMMUTABLE = "public, max-age=31536000, immutable"


class MediaController(Controller):
    """Uploaded pictures, for anyone: they appear on public event pages."""

    path = "/media"
    tags = ["media"]

    @get("/{name:str}", sync_to_thread=False, opt={"access": Access.PUBLIC})
    def media(self, name: FromPath[str], settings: Settings) -> File:
        path = media_store(settings.data_dir).path(name)
        if path is None:
            raise NotFound(f"no media named {name[:80]!r}")
        return File(
            path=path,
            media_type=content_type_of(name),
            filename=name,
            content_disposition_type="inline",
            headers={"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"},
        )
