"""Revocations racing a venue's manifest pull and each other, on PostgreSQL, where they run
in parallel (SQLite takes one writer at a time, so these interleavings cannot happen)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from cloud.audit.actions import Action
from cloud.audit.models import AuditEntry
from cloud.db import make_engine, make_session_factory
from cloud.events.models import TicketType
from cloud.settings import CloudSettings
from cloud.tickets.changes import UNNUMBERED, number_changes
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


# Planner settings that leave a session one way to the rows: the table in storage order, as
# PostgreSQL may choose for a big event (a hash join over a sequential scan when many changes
# wait to be numbered, a bitmap scan for a long list of tickets), or the primary key's order,
# as it chooses for a few tickets of a big table.
_PLANS = {
    "storage": (
        "SET LOCAL enable_nestloop = off; SET LOCAL enable_mergejoin = off; "
        "SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off; "
        "SET LOCAL enable_bitmapscan = off"
    ),
    "key": (
        "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; "
        "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off"
    ),
}


@pytest.mark.parametrize("in_storage_order", ["manifest reader", "revocation"])
def test_a_manifest_pull_and_a_revocation_of_the_same_tickets_never_deadlock(
    api: Api, client: TestClient[Any], engine: Engine, in_storage_order: str
) -> None:
    setup = api.setup()
    refs = [t["ticket_id"] for t in api.issue(setup.organizer, setup.event_id, setup.type_id, 3)]
    sessions: sessionmaker[Session] = make_session_factory(engine)
    with sessions() as session:
        first, middle, last = sorted(
            session.scalars(select(Ticket.id).where(Ticket.ticket_ref.in_(refs)))
        )
        # An updated row is written anew further on: the first ticket now lies last.
        session.execute(
            text("UPDATE tickets SET holder_name = 'Ada L.' WHERE id = :id"), {"id": first}
        )
        session.commit()
        stored = session.scalars(
            text("SELECT id FROM tickets WHERE event_id = :e ORDER BY ctid"), {"e": setup.event_id}
        ).all()
        assert stored == [middle, last, first]

    done: dict[str, Any] = {}
    xids: dict[str, str] = {}

    def run(name: str, work: Callable[[Session], int]) -> None:
        try:
            with sessions() as session:
                plan = "storage" if name == in_storage_order else "key"
                session.execute(text(_PLANS[plan]))
                xids[name] = session.scalar(text("SELECT pg_current_xact_id()::text"))
                done[name] = work(session)
                session.commit()
        except DBAPIError as error:  # a deadlock, reported by the assertions below
            done[name] = error

    def read(session: Session) -> int:
        return number_changes(session, setup.event_id)

    def revoke(session: Session) -> int:
        tickets = session.scalars(select(Ticket).where(Ticket.id.in_([first, middle, last])))
        return len(revoke_tickets(session, list(tickets)))

    order = {"manifest reader": read, "revocation": revoke}
    scattered, ordered = in_storage_order, next(n for n in order if n != in_storage_order)
    with sessions() as blocker:
        # While the last ticket is locked, the side reading in storage order (middle, last,
        # first) stops at it, then the side in key order (first, middle, last) at a ticket the
        # first side holds. Each locking the rows as its plan met them, they would now wait for
        # each other once the last ticket is free, until PostgreSQL aborted one.
        xid = blocker.scalar(text("SELECT pg_current_xact_id()::text"))
        blocker.execute(text("SELECT id FROM tickets WHERE id = :id FOR UPDATE"), {"id": last})
        threads = {n: threading.Thread(target=run, args=(n, order[n])) for n in order}
        threads[scattered].start()
        wait_until_someone_waits_for(engine, xid)
        threads[ordered].start()
        wait_until_someone_waits_for(engine, xids[scattered])
        blocker.commit()
    for thread in threads.values():
        thread.join(timeout=30)

    failed = {name: error for name, error in done.items() if isinstance(error, DBAPIError)}
    assert not failed
    assert done["revocation"] == 3
    # However the two went, the venue's next pull has all three tickets revoked.
    manifest = client.get(MANIFEST, headers=setup.venue_headers).json()
    assert {t["ticket_id"]: t["revoked"] for t in manifest["tickets"]} == dict.fromkeys(refs, True)
