"""Phone numbers as text messages need them: E.164, a plus and 8 to 15 digits."""

from __future__ import annotations

import re

from cloud.errors import InvalidInput

_E164 = re.compile(r"\+[1-9]\d{7,14}")
# What people type between digits: spaces, dashes, dots, brackets.
_SEPARATORS = re.compile(r"[\s\-./()]")


def normal_phone(text: str) -> str:
    """``+49 151 1234-5678`` → ``+4915112345678``; anything else is refused. A leading
    ``00`` counts as the plus, as dialled from most of the world."""
    compact = _SEPARATORS.sub("", text.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not _E164.fullmatch(compact):
        raise InvalidInput(
            "a mobile number needs its country code, like +49 151 12345678 (8 to 15 digits)"
        )
    return compact


def is_phone(text: str) -> bool:
    return _E164.fullmatch(text) is not None
