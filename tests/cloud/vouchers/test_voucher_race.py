"""Never overuse a voucher, under real concurrency on PostgreSQL: each buyer its own
connection, all racing for the last uses."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

from cloud.clock import now_s
from cloud.events.models import TicketType
from cloud.orders.holds import HoldLine, create_hold
from cloud.settings import CloudSettings
from cloud.vouchers.models import Voucher
from cloud.vouchers.service import VoucherExhausted
from tests.cloud.orders.conftest import Shop
from tests.cloud.vouchers.conftest import Vouchers

pytestmark = pytest.mark.postgres

BUYERS = 30
USES = 7


@pytest.fixture
def database_url(postgres_database_url: str) -> str:
    """Only meaningful where writers really run in parallel."""
    return postgres_database_url


@pytest.fixture
def engine(settings: CloudSettings) -> Iterator[Engine]:
    engine = create_engine(settings.database_url, poolclass=NullPool)
    yield engine
    engine.dispose()


def test_buyers_racing_for_the_last_uses_never_overuse_a_voucher(
    shop: Shop, vouchers: Vouchers, engine: Engine
) -> None:
    sale = shop.sale(general={"capacity": 100, "price": 4000})
    general = sale.types["general"]
    voucher = vouchers.create(
        sale.organizer, sale.event_id, code="LAUNCH", percent_off=50, max_uses=USES
    )
    sessions = sessionmaker(engine, expire_on_commit=False)
    start = threading.Barrier(BUYERS)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def buyer(n: int) -> None:
        start.wait()
        try:
            with sessions() as session:
                hold = create_hold(
                    session,
                    event_id=sale.event_id,
                    lines=[HoldLine(general, 1)],
                    email=f"fan{n}@example.org",
                    name="Fan",
                    hold_seconds=600,
                    now=now_s(),
                    voucher="launch",
                )
                result: Any = hold.discount
        except VoucherExhausted as refused:
            result = refused
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    discounted = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, VoucherExhausted)]
    assert (discounted, len(refused)) == ([2000] * USES, BUYERS - USES), outcomes
    assert {r.status_code for r in refused} == {409}
    with sessions() as session:
        used = session.scalar(select(Voucher.used).where(Voucher.id == voucher["voucher_id"]))
        held = session.scalar(select(TicketType.held).where(TicketType.id == general))
    # Refused buyers held nothing either.
    assert (used, held) == (USES, USES)
    assert shop.available(sale.event_id) == {general: 100 - USES}
