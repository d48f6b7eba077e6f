"""Log set-up for ``bilten venue serve``: readable lines by default, JSON lines on request,
each with the id of the request it belongs to and never a secret (see ``shared.logs``)."""

from __future__ import annotations

from shared.logs import configure_logging
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore


def configure_venue_logging(settings: VenueSettings) -> None:
    """Lines at the configured level; the venue's cloud API key is never written."""
    store = VenueStore(settings.db_path)
    try:
        link = store.cloud_link()
    finally:
        store.close()
    configure_logging(
        json_lines=settings.log_json,
        level=settings.log_level,
        secrets=[link.api_key] if link is not None else [],
    )
