"""Revocations racing a venue's manifest pull and each other, on PostgreSQL, where they run
in parallel (SQLite takes one writer at a time, so these interleavings cannot happen)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.audit.actions import Action
from cloud.audit.models import AuditEntry
from cloud.db import make_engine, make_session_factory
from cloud.events.models import TicketType
from cloud.settings import CloudSettings
from cloud.tickets.changes import UNNUMBERED
from cloud.tickets.models import Ticket
from cloud.tickets.service import revoke_tickets
from tests.cloud.conftest import Api
from tests.cloud.locks import wait_until_someone_waits_for

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


def test_a_ticket_revoked_by_another_request_meanwhile_is_not_recorded_twice(
    api: Api, client: TestClient[Any], engine: Engine
) -> None:
    setup = api.setup()
    [issued] = api.issue(setup.organizer, setup.event_id, setup.type_id)
    sessions: sessionmaker[Session] = make_session_factory(engine)
    answer: list[Any] = []

    with sessions() as refund:
        # A refund has revoked the ticket and not committed yet...
        xid = refund.scalar(text("SELECT pg_current_xact_id()::text"))
        assert revoke_tickets(refund, [_ticket(refund, issued["ticket_id"])])
        # ...when the organizer revokes it by hand: the request reads it live, then waits.
        by_hand = threading.Thread(
            target=lambda: answer.append(
                client.post(
                    f"/api/v1/tickets/{issued['ticket_id']}/revoke",
                    headers=setup.organizer.headers,
                )
            )
        )
        by_hand.start()
        wait_until_someone_waits_for(engine, xid)
        refund.commit()
        by_hand.join(timeout=30)

    assert answer and answer[0].status_code == 200, answer
    assert answer[0].json() == {"ticket_id": issued["ticket_id"], "revoked": True}
    with sessions() as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == Action.TICKET_REVOKED.value,
                AuditEntry.target_id == issued["ticket_id"],
            )
        ).all()
        sold = session.scalar(select(TicketType.sold).where(TicketType.id == setup.type_id))
    assert entries == []  # the refund's own record is its order's, not written here
    assert sold == 0
