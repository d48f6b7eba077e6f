"""The audit log: sensitive actions recorded in their own transaction, with who and from
where, never a secret; the database refuses to change or delete an entry; the hash chain
shows a history rewritten behind the database's back; concurrent writers keep one chain."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from cloud.audit.actions import Action
from cloud.audit.actor import Actor
from cloud.audit.chain import verify
from cloud.audit.log import AuditQuery, record, search
from cloud.audit.models import AuditEntry
from cloud.db import make_engine, make_session_factory
from cloud.settings import CloudSettings
from tests.cloud.conftest import Api

PASSWORD = "correct horse"


@pytest.fixture
def engine(settings: CloudSettings) -> Iterator[Engine]:
    made = make_engine(settings.database_url)
    yield made
    made.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def entries(sessions: sessionmaker[Session]) -> list[AuditEntry]:
    with sessions() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_logins_are_recorded_with_the_address_they_came_from_and_no_password(
    api: Api, client: TestClient[Any], sessions: sessionmaker[Session]
) -> None:
    org = api.signup("ada@example.org")

    good = client.post(
        "/api/v1/auth/login", json={"email": "ada@example.org", "password": PASSWORD}
    )
    bad = client.post(
        "/api/v1/auth/login", json={"email": "ada@example.org", "password": "guess one"}
    )
    stranger = client.post(
        "/api/v1/auth/login", json={"email": "who@example.org", "password": "guess two"}
    )

    assert (good.status_code, bad.status_code, stranger.status_code) == (200, 401, 401)
    logins = [e for e in entries(sessions) if e.action.startswith("login.")]
    assert [(e.action, e.actor_id, e.actor, e.target_id) for e in logins] == [
        ("login.succeeded", org.user_id, "ada@example.org", str(org.user_id)),
        ("login.failed", org.user_id, "ada@example.org", str(org.user_id)),
        ("login.failed", None, "who@example.org", "who@example.org"),
    ]
    assert {e.ip for e in logins} == {"testclient"}
    assert "wrong password" in logins[1].summary and "no such account" in logins[2].summary
    everything = " ".join(f"{e.summary} {e.detail}" for e in entries(sessions))
    for secret in (PASSWORD, "guess one", "guess two"):
        assert secret not in everything


def test_a_refund_is_recorded_by_whoever_made_it_and_a_repeat_adds_nothing(
    api: Api, client: TestClient[Any], sessions: sessionmaker[Session]
) -> None:
    setup = api.setup()
    hold = client.post(
        "/api/v1/shop/holds",
        json={
            "event_id": setup.event_id,
            "buyer_email": "bob@example.org",
            "buyer_name": "Bob",
            "items": [{"type_id": setup.type_id, "quantity": 2}],
        },
    ).json()
    order = client.post(f"/api/v1/shop/holds/{hold['hold_token']}/checkout").json()
    path = f"/api/v1/events/{setup.event_id}/orders/{order['reference']}"

    first = client.post(f"{path}/cancel", headers=setup.organizer.headers)
    again = client.post(f"{path}/cancel", headers=setup.organizer.headers)

    assert (first.status_code, again.status_code) == (200, 200)
    cancelled = [e for e in entries(sessions) if e.action == Action.ORDER_CANCELLED]
    [entry] = cancelled
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        setup.organizer.user_id,
        "order",
        order["reference"],
    )
    assert entry.org_id is not None and "tickets are revoked" in entry.summary


def test_an_action_rolled_back_leaves_no_entry(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        record(session, Action.USER_SUSPENDED, "never happened", target=("user", 1))
        session.rollback()
        record(session, Action.USER_SUSPENDED, "did happen", target=("user", 2))
        session.commit()
    with sessions() as session:
        record(session, Action.USER_SUSPENDED, "closed without commit", target=("user", 3))

    assert [e.summary for e in entries(sessions)] == ["did happen"]


def test_secrets_are_refused_before_they_reach_the_log(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(ValueError, match="secrets never go"):
        record(session, Action.VENUE_KEY_CREATED, "key", detail={"api_key": "bvk_x"})


def test_the_database_refuses_to_change_or_delete_an_entry(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session:
        record(session, Action.ORG_APPROVED, "approved 'Brass Nights'", target=("org", 1))
        session.commit()

    for statement in (
        "UPDATE audit_log SET summary = 'nothing happened'",
        "DELETE FROM audit_log",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text("TRUNCATE audit_log"))

    [entry] = entries(sessions)
    assert entry.summary == "approved 'Brass Nights'"
    with sessions() as session:
        assert verify(session).ok


def _unguard(engine: Engine) -> None:
    """What someone with full control of the database could do: drop the triggers."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_log_no_update"))
            connection.execute(text("DROP TRIGGER audit_log_no_delete"))


def _five(sessions: sessionmaker[Session]) -> None:
    for n in range(1, 6):
        with sessions() as session:
            record(session, Action.USER_SUSPENDED, f"suspended user {n}", target=("user", n))
            session.commit()


def test_a_changed_entry_breaks_the_chain_at_that_entry(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    _five(sessions)
    with sessions() as session:
        intact = verify(session)
    _unguard(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET summary = 'nothing' WHERE seq = 3"))

    with sessions() as session:
        broken = verify(session)

    assert (intact.ok, intact.entries, intact.head_seq) == (True, 5, 5)
    assert (broken.ok, broken.broken_at, broken.entries) == (False, 3, 2)
    assert "changed after it was written" in (broken.problem or "")


def test_a_removed_entry_breaks_the_chain(engine: Engine, sessions: sessionmaker[Session]) -> None:
    _five(sessions)
    _unguard(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq = 4"))

    with sessions() as session:
        broken = verify(session)

    assert (broken.ok, broken.broken_at) == (False, 5)
    assert "entry 4 is missing" in (broken.problem or "")


def test_a_removed_last_entry_shows_against_the_head_kept_elsewhere(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    _five(sessions)
    with sessions() as session:
        kept = verify(session)
    _unguard(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq = 5"))

    with sessions() as session:
        later = verify(session)

    # The rest of the chain still fits; only the head noted earlier tells.
    assert later.ok and (later.head_seq, kept.head_seq) == (4, 5)
    assert later.head_hash != kept.head_hash


def test_concurrent_actions_keep_one_unbroken_chain(sessions: sessionmaker[Session]) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(15):
                with sessions() as session:
                    record(
                        session,
                        Action.MEMBER_ADDED,
                        f"worker {worker} entry {n}",
                        actor=Actor(None, f"worker {worker}"),
                    )
                    session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    with sessions() as session:
        result = verify(session)
    assert (result.ok, result.entries) == (True, 60)
    assert [e.seq for e in entries(sessions)] == list(range(1, 61))


def test_search_filters_and_pages_newest_first(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        for n in range(7):
            record(session, Action.USER_SUSPENDED, f"suspended user {n}", target=("user", n))
        record(session, Action.ORG_APPROVED, "approved 'Brass_Nights'", org_id=9)
        record(session, Action.ORG_SUSPENDED, "suspended 'Brass Nights'", org_id=9)
        session.commit()

    with sessions() as session:
        first = search(session, AuditQuery(action="user", limit=3))
        second = search(session, AuditQuery(action="user", limit=3, before=first.next_before))
        orgs = search(session, AuditQuery(action="org"))
        approved = search(session, AuditQuery(action="org.approved"))
        words = search(session, AuditQuery(text="SUSPENDED brass"))
        underscore = search(session, AuditQuery(text="Brass_"))
        by_org = search(session, AuditQuery(org_id=9))

    assert [e.target_id for e in first.entries] == ["6", "5", "4"]
    assert [e.target_id for e in second.entries] == ["3", "2", "1"]
    assert [e.action for e in orgs.entries] == ["org.suspended", "org.approved"]
    assert [e.action for e in approved.entries] == ["org.approved"]
    assert [e.action for e in words.entries] == ["org.suspended"]
    assert [e.action for e in underscore.entries] == ["org.approved"]
    assert len(by_org.entries) == 2 and by_org.next_before is None


def test_venue_keys_made_and_replaced_are_recorded_without_the_keys(
    api: Api, client: TestClient[Any], sessions: sessionmaker[Session]
) -> None:
    org = api.signup()
    venue_id, first = api.venue(org)

    rotated = client.post(f"/api/v1/venues/{venue_id}/rotate-key", headers=org.headers)

    assert rotated.status_code in (200, 201), rotated.text
    keys = [e for e in entries(sessions) if e.action.startswith("venue.")]
    assert [(e.action, e.target_id, e.actor_id) for e in keys] == [
        ("venue.key_created", str(venue_id), org.user_id),
        ("venue.key_rotated", str(venue_id), org.user_id),
    ]
    written = " ".join(f"{e.summary} {e.detail}" for e in entries(sessions))
    for key in (first["Authorization"].removeprefix("Bearer "), rotated.json()["api_key"]):
        assert key not in written and key[4:12] not in written
