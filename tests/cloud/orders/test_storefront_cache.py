"""The storefront buyers read in an on-sale: from each API process's memory for a moment."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event

from cloud.db import make_engine, make_session_factory
from cloud.errors import ConfigurationError
from cloud.events.controllers import storefront_reader
from cloud.events.storefront import StorefrontCache
from cloud.settings import CloudSettings
from tests.cloud.orders.conftest import Shop

KEPT_S = 2.0


@pytest.fixture
def settings(settings: CloudSettings) -> CloudSettings:
    return replace(settings, storefront_cache_s=KEPT_S)


def test_buyers_see_seats_left_as_read_at_most_a_moment_ago(shop: Shop) -> None:
    sale = shop.sale(general={"capacity": 5})
    general = sale.types["general"]
    assert shop.available(sale.event_id) == {general: 5}

    assert shop.try_hold(sale.event_id, {general: 2}).status_code == 201

    # Read a moment ago: answered from memory.
    assert shop.available(sale.event_id) == {general: 5}
    time.sleep(KEPT_S)
    assert shop.available(sale.event_id) == {general: 3}


def test_buyers_asking_at_once_wait_for_one_read(shop: Shop, settings: CloudSettings) -> None:
    sale = shop.sale(general={"capacity": 5})
    engine = make_engine(settings.database_url)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    read = storefront_reader(make_session_factory(engine), settings)
    try:
        assert read(sale.event_id) is not None
        one_read = len(statements)
        statements.clear()
        storefronts = StorefrontCache(read, ttl_s=KEPT_S)

        async def buyers() -> list[Any]:
            return await asyncio.gather(*(storefronts.get(sale.event_id) for _ in range(50)))

        answers = asyncio.run(buyers())
    finally:
        engine.dispose()

    assert one_read > 0 and len(statements) == one_read, statements
    assert all(answer is answers[0] for answer in answers)
    assert [kind.available for kind in answers[0].ticket_types] == [5]


def test_an_unknown_event_is_missing_however_often_it_is_asked_for(shop: Shop) -> None:
    for _ in range(3):
        answer = shop.client.get("/api/v1/shop/events/987654")
        assert answer.status_code == 404
        assert answer.json()["detail"] == "event 987654 not found"


@pytest.mark.parametrize("value", ["-1", "61", "soon", "nan"])
def test_a_storefront_time_out_of_bounds_is_refused(value: str, tmp_path: Any) -> None:
    with pytest.raises(ConfigurationError, match="BILTEN_STOREFRONT_CACHE_S"):
        CloudSettings.from_env(tmp_path, environ={"BILTEN_STOREFRONT_CACHE_S": value})
