"""Pictures on pages: the ``srcset`` of a stored picture, so each browser fetches the size
its screen needs (``{{ media_srcset(event.image) }}`` in a template)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import pass_context

from cloud.media.store import media_store


@pass_context
def media_srcset(context: Mapping[str, Any], name: str | None) -> str:
    """``/media/a.jpg 400w, /media/b.jpg 800w, ...``; "" for a picture stored with one size
    (before sizes were kept), where ``src`` alone serves."""
    request = context.get("request")
    if not name or request is None:
        return ""
    store = media_store(request.app.state.settings.data_dir)
    return ", ".join(f"{store.url(size.name)} {size.width}w" for size in store.renditions(name))
