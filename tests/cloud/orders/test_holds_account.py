"""A hold made by a signed-in buyer remembers their account, for the order it becomes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.clock import now_s
from cloud.db import make_engine, make_session_factory
from cloud.orders.holds import HoldLine, create_hold, token_digest
from cloud.orders.models import Hold
from cloud.settings import CloudSettings
from tests.cloud.orders.conftest import Shop


@pytest.fixture
def sessions(settings: CloudSettings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


def test_a_hold_keeps_the_buyers_account_or_none(
    shop: Shop, sessions: sessionmaker[Session]
) -> None:
    sale = shop.sale(general={})
    buyer = shop.api.signup()
    tokens = {}
    for user_id in (buyer.user_id, None):
        with sessions() as session:
            tokens[user_id] = create_hold(
                session,
                event_id=sale.event_id,
                lines=[HoldLine(sale.types["general"], 1)],
                email="ada@example.org",
                name="Ada",
                hold_seconds=600,
                now=now_s(),
                user_id=user_id,
            ).token

    with sessions() as session:
        kept = {
            user_id: session.scalar(
                select(Hold.user_id).where(Hold.token_hash == token_digest(token))
            )
            for user_id, token in tokens.items()
        }
    assert kept == {buyer.user_id: buyer.user_id, None: None}
