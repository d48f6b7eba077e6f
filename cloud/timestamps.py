"""The API speaks ISO 8601; the database and tokens speak Unix seconds."""

from __future__ import annotations

from datetime import UTC, datetime


def to_unix(moment: datetime) -> int:
    """Naive times are taken as UTC, the only zone a server can assume."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def to_datetime(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
