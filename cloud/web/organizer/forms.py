"""Reading the organizer's forms: every field checked, every problem kept next to its field.

A page handler reads all fields, and only when ``form.errors`` is empty calls a service; so a
form with a bad price, a window that ends before it starts or a capacity of 0 changes nothing
and comes back with the organizer's input and a message beside each wrong field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cloud.errors import InvalidInput
from cloud.venues import zones
from cloud.web.organizer.money import BadAmount, to_minor

_CURRENCY = re.compile(r"[A-Z]{3}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class Form:
    """The submitted fields (text as typed) and the errors found reading them."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.values: dict[str, str] = {
            name: value.strip() for name, value in data.items() if isinstance(value, str)
        }
        # Fields sent several times (a group of checkboxes), each value as typed.
        self._lists: dict[str, list[str]] = {
            name: [item.strip() for item in value if isinstance(item, str)]
            for name, value in data.items()
            if isinstance(value, list)
        }
        self.errors: dict[str, str] = {}

    def choices(self, name: str) -> list[str]:
        """Every value sent for ``name`` (none, one or several ticked boxes)."""
        if name in self._lists:
            return self._lists[name]
        value = self.values.get(name, "")
        return [value] if value else []

    @property
    def valid(self) -> bool:
        """True when every field read so far was valid."""
        return not self.errors

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(self, name: str, label: str, *, max_length: int = 200, required: bool = True) -> str:
        value = self.values.get(name, "")
        if required and not value:
            self.fail(name, f"{label} is required")
        elif len(value) > max_length:
            self.fail(name, f"{label} is too long (at most {max_length} characters)")
        elif not value.isprintable():
            self.fail(name, f"{label} must be plain text on one line")
        return value

    def email(self, name: str, label: str = "Email") -> str:
        value = self.text(name, label, max_length=254)
        if value and name not in self.errors and not _EMAIL.fullmatch(value):
            self.fail(name, f"{label} must be an address like name@example.org")
        return value

    def integer(self, name: str, label: str, *, low: int, high: int) -> int:
        raw = self.values.get(name, "")
        if not raw:
            self.fail(name, f"{label} is required")
            return low
        if not re.fullmatch(r"-?\d{1,12}", raw):
            self.fail(name, f"{label} must be a whole number")
            return low
        value = int(raw)
        if not low <= value <= high:
            self.fail(name, f"{label} must be between {low} and {high}")
        return value

    def checkbox(self, name: str) -> bool:
        return name in self.values

    def currency(self, name: str = "currency") -> str:
        value = self.values.get(name, "").upper()
        if not _CURRENCY.fullmatch(value):
            self.fail(name, "Currency must be a three-letter code such as EUR")
        return value

    def price(self, name: str, currency: str, *, high: int) -> int:
        """The amount in minor units; refused when it has more decimals than the currency."""
        raw = self.values.get(name, "")
        if not raw:
            self.fail(name, "Price is required (0 for free tickets)")
            return 0
        try:
            minor = to_minor(raw, currency if _CURRENCY.fullmatch(currency) else "EUR")
        except BadAmount as exc:
            self.fail(name, f"Price: {exc}")
            return 0
        if minor > high:
            self.fail(name, "Price is too high")
        return minor

    def moment(
        self, name: str, label: str, *, zone: str = zones.DEFAULT, required: bool = True
    ) -> datetime | None:
        """A ``datetime-local`` field, as wall-clock time in ``zone`` (the venue's, which the
        form names); the moment it names, in UTC."""
        raw = self.values.get(name, "")
        if not raw:
            if required:
                self.fail(name, f"{label} is required")
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            self.fail(name, f"{label} must be a date and time like 2030-06-01T19:00")
            return None
        if not 1970 <= value.year < 2106:
            self.fail(name, f"{label} must be between 1970 and 2106")
            return None
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        try:
            return zones.to_moment(value, zone)
        except zones.NoSuchTime as exc:
            self.fail(name, f"{label}: {exc}")
            return None

    def zone(self, name: str = "timezone") -> str:
        """An IANA time zone name picked from the list; UTC when the form has no such field."""
        value = self.values.get(name) or zones.DEFAULT
        try:
            return zones.checked(value)
        except InvalidInput as exc:
            self.fail(name, str(exc))
            return value

    def window(
        self, start: datetime | None, end: datetime | None, end_name: str, message: str
    ) -> None:
        """Refuse an end that does not come after its start."""
        if start is not None and end is not None and end <= start:
            self.fail(end_name, message)


def local_input(moment: datetime | None, zone: str = zones.DEFAULT) -> str:
    """A moment as a ``datetime-local`` field's value: wall-clock time in ``zone``."""
    if moment is None:
        return ""
    return moment.astimezone(zones.zone(zone)).strftime("%Y-%m-%dT%H:%M")
