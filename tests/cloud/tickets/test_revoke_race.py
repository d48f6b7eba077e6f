"""Revocations racing a venue's manifest pull and each other, on PostgreSQL, where they run
in parallel (SQLite takes one writer at a time, so these interleavings cannot happen)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.db import make_engine, make_session_factory
from cloud.events.models import TicketType
from cloud.settings import CloudSettings
from cloud.tickets.changes import UNNUMBERED
from cloud.tickets.models import Ticket
from cloud.tickets.service import revoke_tickets
from tests.cloud.conftest import Api

pytestmark = pytest.mark.postgres

MANIFEST = "/api/v1/venue/manifest"


@pytest.fixture
def database_url(postgres_database_url: str) -> str:
    return postgres_database_url


@pytest.fixture
def engine(settings: CloudSettings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


def _ticket(session: Session, ref: str) -> Ticket:
    ticket = session.scalar(select(Ticket).where(Ticket.ticket_ref == ref))
    assert ticket is not None
    return ticket


def test_a_ticket_revoked_while_the_venue_pulls_it_reaches_the_venue_revoked(
    api: Api, client: TestClient[Any], engine: Engine
) -> None:
    setup = api.setup()
    [issued] = api.issue(setup.organizer, setup.event_id, setup.type_id)
    sessions: sessionmaker[Session] = make_session_factory(engine)

    with sessions() as organizer:
        # The revocation has read the ticket, not yet on any venue's manifest...
        ticket = _ticket(organizer, issued["ticket_id"])
        assert ticket.seq == UNNUMBERED
        # ...when the venue pulls: it gets the ticket live.
        first = client.get(MANIFEST, headers=setup.venue_headers).json()
        assert [(t["ticket_id"], t["revoked"]) for t in first["tickets"]] == [
            (issued["ticket_id"], False)
        ]
        assert revoke_tickets(organizer, [ticket]) == [ticket]
        organizer.commit()

    after = client.get(
        MANIFEST, params={"cursor": first["next_cursor"]}, headers=setup.venue_headers
    ).json()
    assert [(t["ticket_id"], t["revoked"]) for t in after["tickets"]] == [
        (issued["ticket_id"], True)
    ]


def test_two_revocations_of_one_ticket_put_its_seat_back_once(
    api: Api, client: TestClient[Any], engine: Engine
) -> None:
    setup = api.setup()
    [issued] = api.issue(setup.organizer, setup.event_id, setup.type_id)
    sessions: sessionmaker[Session] = make_session_factory(engine)

    with sessions() as refund, sessions() as manual:
        # Both read the ticket live, then revoke it one after the other.
        in_refund, in_manual = (
            _ticket(refund, issued["ticket_id"]),
            _ticket(manual, issued["ticket_id"]),
        )
        assert revoke_tickets(refund, [in_refund]) == [in_refund]
        refund.commit()
        assert revoke_tickets(manual, [in_manual]) == []
        manual.commit()
        assert in_manual.revoked

    with sessions() as session:
        sold = session.scalar(select(TicketType.sold).where(TicketType.id == setup.type_id))
    assert sold == 0
