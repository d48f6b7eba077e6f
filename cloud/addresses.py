"""Email addresses as every part of the cloud accepts them: one rule, so an address taken at a
hold or a sign-up is never refused later by the outbox that mails the tickets to it."""

from __future__ import annotations

from cloud.errors import InvalidInput

MAX_EMAIL_CHARS = 254
# Characters that would let an address carry a second recipient or a display name into a
# mail header.
_HEADER_CHARACTERS = frozenset('<>,;"')


def email_address(value: str, field: str = "email") -> str:
    """``value`` trimmed, when it can be a deliverable address (``name@example.org``); else
    InvalidInput naming ``field``."""
    address = value.strip()
    local, at, domain = address.rpartition("@")
    if (
        not (at and local and "." in domain.strip("."))
        or len(address) > MAX_EMAIL_CHARS
        or any(c.isspace() or not c.isprintable() or c in _HEADER_CHARACTERS for c in address)
    ):
        raise InvalidInput(f"{field} {address[:60]!r} is not an email address (name@example.org)")
    return address
