"""Never oversell, under real concurrency on PostgreSQL: each buyer its own connection."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from cloud.clock import now_s
from cloud.events.models import TicketType
from cloud.events.stock import (
    WITHIN_CAPACITY,
    committed_together,
    held_seats_change,
    hold_seats,
    refused_by,
)
from cloud.orders.checkout import checkout
from cloud.orders.holds import HoldLine, SoldOut, create_hold
from cloud.orders.payments import LocalProvider
from cloud.settings import CloudSettings
from cloud.tickets.models import Ticket
from tests.cloud.locks import wait_until_someone_waits_for
from tests.cloud.orders.conftest import Shop

pytestmark = pytest.mark.postgres

BUYERS = 40


@pytest.fixture
def database_url(postgres_database_url: str) -> str:
    """These tests only mean something where writers really run in parallel."""
    return postgres_database_url


@pytest.fixture
def engine(settings: CloudSettings) -> Iterator[Engine]:
    # No pool: every session opens its own connection, like buyers on separate API workers.
    engine = create_engine(settings.database_url, poolclass=NullPool)
    yield engine
    engine.dispose()


def _buy(sessions: sessionmaker[Session], master_key: bytes, event_id: int, type_id: int) -> int:
    with sessions() as session:
        token = create_hold(
            session,
            event_id=event_id,
            lines=[HoldLine(type_id, 1)],
            email="fan@example.org",
            name="Fan",
            hold_seconds=600,
            now=now_s(),
        ).token
        order = checkout(session, master_key, token, LocalProvider(), now_s()).order
        return len(order.reference)


def test_forty_buyers_racing_for_the_last_tickets_never_oversell(
    shop: Shop, settings: CloudSettings, engine: Engine
) -> None:
    sale = shop.sale(general={"capacity": 100})
    general = sale.types["general"]
    shop.api.issue(sale.organizer, sale.event_id, general, count=88)  # 12 are left
    sessions = sessionmaker(engine, expire_on_commit=False)
    start = threading.Barrier(BUYERS)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def buyer() -> None:
        start.wait()
        try:
            result: Any = _buy(sessions, settings.master_key, sale.event_id, general)
        except SoldOut as refused:
            result = refused
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=buyer) for _ in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    bought = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, SoldOut)]
    assert (len(bought), len(refused)) == (12, BUYERS - 12), outcomes
    assert {r.status_code for r in refused} == {409}
    assert all("sold out" in r.detail for r in refused)
    with sessions() as session:
        live = session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.type_id == general)
        )
        counters = session.execute(
            select(TicketType.sold, TicketType.held).where(TicketType.id == general)
        ).one()
    assert live == 100
    assert tuple(counters) == (100, 0)
    assert shop.available(sale.event_id) == {general: 0}


def test_a_type_sells_while_another_type_of_the_same_event_is_locked(
    shop: Shop, settings: CloudSettings, engine: Engine
) -> None:
    sale = shop.sale(general={"capacity": 10}, vip={"capacity": 10})
    general, vip = sale.types["general"], sale.types["vip"]
    sessions = sessionmaker(engine, expire_on_commit=False)

    with sessions() as blocker:
        # A VIP buyer's hold in flight: VIP's stock row is locked until it commits.
        assert hold_seats(blocker, vip, 1)

        with sessions() as other:
            other.execute(text("SET lock_timeout = '5s'"))
            token = create_hold(
                other,
                event_id=sale.event_id,
                lines=[HoldLine(general, 2)],
                email="ada@example.org",
                name="Ada",
                hold_seconds=600,
                now=now_s(),
            ).token
            order = checkout(other, settings.master_key, token, LocalProvider(), now_s()).order
            assert order.status == "paid"

        # The lock is real: another VIP buyer waits for it (and gives up here).
        with sessions() as waiting:
            waiting.execute(text("SET lock_timeout = '300ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                create_hold(
                    waiting,
                    event_id=sale.event_id,
                    lines=[HoldLine(vip, 1)],
                    email="bob@example.org",
                    name="Bob",
                    hold_seconds=600,
                    now=now_s(),
                )
        blocker.rollback()

    assert shop.available(sale.event_id) == {general: 8, vip: 10}


def test_the_database_itself_refuses_seats_past_capacity(shop: Shop, engine: Engine) -> None:
    sale = shop.sale(general={"capacity": 3})
    general = sale.types["general"]
    shop.api.issue(sale.organizer, sale.event_id, general, count=3)

    # A write that skips every check in the code still cannot sell a fourth seat.
    with engine.connect() as connection, pytest.raises(IntegrityError, match="within_capacity"):
        connection.execute(
            text("UPDATE ticket_types SET held = held + 1 WHERE id = :id"), {"id": general}
        )

    assert shop.available(sale.event_id) == {general: 0}


def test_a_refused_stock_change_fails_the_commit_quietly_and_changes_nothing(
    shop: Shop, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    sale = shop.sale(general={"capacity": 3}, vip={"capacity": 5})
    general, vip = sale.types["general"], sale.types["vip"]
    shop.api.issue(sale.organizer, sale.event_id, general, count=3)
    # The refusal comes back from the server while the later changes are still being sent,
    # as it can under load; the caller is told, and nothing else reaches the log.
    changes = [held_seats_change(general, 1)] + [held_seats_change(vip, 0)] * 300
    changes.append(held_seats_change(vip, 2))

    with Session(engine) as session, caplog.at_level(logging.WARNING):
        with pytest.raises(IntegrityError) as refused, committed_together(session) as connection:
            for change in changes:
                connection.execute(*change)
        session.rollback()

    assert refused_by(refused.value, WITHIN_CAPACITY)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert shop.available(sale.event_id) == {general: 0, vip: 5}


class _Interrupted(Exception):
    """Something that goes wrong in the middle of a transaction, outside the database."""


def test_a_transaction_sent_with_its_commit_that_fails_halfway_changes_nothing(
    shop: Shop, engine: Engine
) -> None:
    sale = shop.sale(general={"capacity": 3})
    general = sale.types["general"]

    # The seats are taken in the pipeline; then the code that builds the rest fails.
    with Session(engine) as session:
        with pytest.raises(_Interrupted), committed_together(session) as connection:
            connection.execute(*held_seats_change(general, 2))
            raise _Interrupted
        session.rollback()

    assert shop.available(sale.event_id) == {general: 3}


def test_a_hold_that_loses_the_race_for_one_type_takes_no_seat_of_the_others(
    shop: Shop, engine: Engine
) -> None:
    sale = shop.sale(general={"capacity": 10}, vip={"capacity": 2})
    general, vip = sale.types["general"], sale.types["vip"]
    sessions = sessionmaker(engine, expire_on_commit=False)
    outcome: list[Exception | str] = []

    def buyer() -> None:
        with sessions() as session:
            try:
                session.execute(text("SET lock_timeout = '10s'"))
                token = create_hold(
                    session,
                    event_id=sale.event_id,
                    lines=[HoldLine(general, 3), HoldLine(vip, 1)],
                    email="bob@example.org",
                    name="Bob",
                    hold_seconds=600,
                    now=now_s(),
                ).token
                outcome.append(token)
            except Exception as error:  # noqa: BLE001 - the test reads what the buyer was told
                outcome.append(error)

    with sessions() as rival:
        # Another buyer takes the last VIP seats and has not committed yet: Bob still sees
        # two VIP seats when he asks, then finds them gone when his hold is written.
        assert hold_seats(rival, vip, 2)
        rival_transaction = rival.scalar(text("SELECT pg_current_xact_id()::text"))
        bob = threading.Thread(target=buyer)
        bob.start()
        wait_until_someone_waits_for(engine, rival_transaction)
        rival.commit()
        bob.join(timeout=30)

    assert len(outcome) == 1 and isinstance(outcome[0], SoldOut), outcome
    assert outcome[0].detail == "'Vip' is sold out"
    assert shop.available(sale.event_id) == {general: 10, vip: 0}
