"""The small rules the pages rely on: how money and dates read, which ``next`` is safe."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cloud.web.deps import local_path
from cloud.web.templating import format_datetime, money


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (1250, "EUR", "€12.50"),
        (5, "eur", "€0.05"),
        (0, "EUR", "€0.00"),
        (123456789, "USD", "$1,234,567.89"),
        (1250, "CHF", "12.50 CHF"),
        (1250, "JPY", "¥1,250"),
        (-300, "GBP", "-£3.00"),
    ],
)
def test_money_reads_as_buyers_expect(amount: int, currency: str, shown: str) -> None:
    assert money(amount, currency) == shown


def test_dates_name_the_day_and_the_time_zone() -> None:
    moment = datetime(2030, 6, 1, 19, 0, tzinfo=UTC)
    assert format_datetime(moment) == "Sat 1 Jun 2030, 19:00 UTC"
    assert format_datetime(int(moment.timestamp())) == "Sat 1 Jun 2030, 19:00 UTC"
    assert format_datetime(None) == ""


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("/events/3", "/events/3"),
        ("/account?tab=1", "/account?tab=1"),
        ("//evil.example/x", None),
        ("https://evil.example/", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
        ("/\nSet-Cookie:x", None),
        ("", None),
        (None, None),
    ],
)
def test_only_local_paths_are_followed_after_login(value: str | None, safe: str | None) -> None:
    assert local_path(value) == safe
