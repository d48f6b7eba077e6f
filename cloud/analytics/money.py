"""Sums of money per currency (minor units), as the reports keep them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cloud.analytics.schemas import Money


def add(total: Money, currency: str, amount: int) -> None:
    """Add ``amount`` of ``currency`` to ``total`` in place."""
    total[currency] = total.get(currency, 0) + amount


def minus(left: Mapping[str, int], right: Mapping[str, int]) -> Money:
    """``left - right`` per currency, every currency of either side kept."""
    return {
        currency: left.get(currency, 0) - right.get(currency, 0)
        for currency in sorted({*left, *right})
    }


def summed(parts: Iterable[Mapping[str, int]]) -> Money:
    total: Money = {}
    for part in parts:
        for currency, amount in part.items():
            add(total, currency, amount)
    return dict(sorted(total.items()))
