"""Turning what an organizer typed into a search box into SQL, safely."""

from __future__ import annotations

MAX_QUERY = 200


def contains(text: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching ``text`` anywhere, with the user's
    own ``%`` and ``_`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def cleaned(text: str | None) -> str:
    """The search text with surrounding space removed, at most ``MAX_QUERY`` characters."""
    return (text or "").strip()[:MAX_QUERY]
