"""How many decimals each currency's minor unit has (ISO 4217), for the pages that take
prices and the reports that write money."""

from __future__ import annotations

from decimal import Decimal

# Currencies whose minor unit is not the hundredth; every other has two decimals.
_NO_DECIMALS = (
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
)  # fmt: skip
_THREE_DECIMALS = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")
_EXPONENTS = {**dict.fromkeys(_NO_DECIMALS, 0), **dict.fromkeys(_THREE_DECIMALS, 3)}


def decimals(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def major(minor: int, currency: str) -> Decimal:
    """1250 EUR minor units as ``Decimal("12.50")``: exact, with the currency's decimals."""
    places = decimals(currency)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))
