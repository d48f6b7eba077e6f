"""An event as a calendar file (iCalendar, RFC 5545), for "Add to calendar" on the event's
page and the buyer's order page.

Times are written in UTC: every calendar shows them in its owner's zone, so a buyer abroad
sees the concert at the right hour of their own day. The entry's UID is the event's, the same
from either page, so saving it twice updates one entry instead of adding a second.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from icalendar import Calendar
from icalendar import Event as CalendarEvent
from litestar import Response

_PRODUCT = "-//Bilten//Tickets//EN"


@dataclass(frozen=True, slots=True)
class Entry:
    event_id: int
    name: str
    description: str
    starts_at: datetime
    ends_at: datetime
    venue_name: str
    # The event's public page.
    url: str


def calendar_file(entry: Entry, now: datetime) -> bytes:
    event = CalendarEvent()
    event.add("uid", f"event-{entry.event_id}@{urlsplit(entry.url).hostname or 'bilten'}")
    event.add("dtstamp", now)
    event.add("dtstart", entry.starts_at)
    event.add("dtend", entry.ends_at)
    event.add("summary", entry.name)
    event.add("location", entry.venue_name)
    details = "\n\n".join(part for part in (entry.description.strip(), entry.url) if part)
    event.add("description", details)
    event.add("url", entry.url)
    calendar = Calendar()
    calendar.add("prodid", _PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def calendar_response(entry: Entry, now: datetime, headers: dict[str, str]) -> Response[bytes]:
    """The file as a download named after the event."""
    return Response(
        calendar_file(entry, now),
        media_type="text/calendar",
        headers={
            **headers,
            "Content-Disposition": f'attachment; filename="{_file_name(entry.name)}.ics"',
        },
    )


def _file_name(name: str) -> str:
    # Letters and digits of the name only, so the header needs no quoting rules.
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-")[:60].lower() or "event"
