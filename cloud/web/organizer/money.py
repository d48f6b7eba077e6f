"""Prices as organizers type and read them (``12.50``) and as the cloud keeps them (1250).

Amounts are converted with Decimal only: a float would turn ``0.29`` into 28 cents.
"""

from __future__ import annotations

import re
from decimal import Decimal

from cloud.currencies import decimals

# Digits, then at most one decimal point (or comma, as much of Europe writes it).
_AMOUNT = re.compile(r"\d{1,12}(?:[.,]\d{1,6})?")


class BadAmount(ValueError):
    """The text is not an amount in this currency; the message says why, for the organizer."""


def to_minor(text: str, currency: str) -> int:
    """``"12.50"`` in EUR is 1250. More decimals than the currency has are refused, never
    rounded: an organizer who typed 12.345 meant something the cloud cannot charge."""
    cleaned = text.strip()
    if not _AMOUNT.fullmatch(cleaned):
        raise BadAmount(f"{text.strip()[:20]!r} is not an amount; write it like 12.50")
    places = decimals(currency)
    amount = Decimal(cleaned.replace(",", "."))
    minor = amount.scaleb(places)
    if minor != minor.to_integral_value():
        if places == 0:
            raise BadAmount(f"{currency} has no cents; write a whole number")
        raise BadAmount(f"{currency} amounts have at most {places} decimals")
    return int(minor)


def to_major(minor: int, currency: str) -> str:
    """1250 in EUR is ``"12.50"``: the text to put back into a price field."""
    places = decimals(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"


def show(minor: int, currency: str) -> str:
    """1250 in EUR is ``"12.50 EUR"``; free is free."""
    return f"{to_major(minor, currency)} {currency}"
