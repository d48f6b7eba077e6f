"""Upgrading a database from before organisations: each organizer's venues and events move into
an organisation with the organizer's id, which they own, and everything keeps working."""

from __future__ import annotations

import secrets
from pathlib import Path

from alembic import command
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from cloud.app import create_app
from cloud.db import make_engine
from cloud.migrate import alembic_config, upgrade
from cloud.settings import CloudSettings
from cloud.users.security import hash_password

BEFORE = "2026_11_25_0004"


def _migrate_to(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_an_organizers_venues_and_events_move_into_their_own_organisation(
    empty_database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(empty_database_url)
    _migrate_to(engine, BEFORE)
    with engine.begin() as connection:
        for user_id, email in ((1, "buyer@example.org"), (7, "org@example.org")):
            connection.execute(
                text(
                    "INSERT INTO users (id, email, name, password_hash, created_at) "
                    "VALUES (:id, :email, :name, :hash, 5)"
                ),
                {
                    "id": user_id,
                    "email": email,
                    "name": f"User {user_id}",
                    "hash": hash_password("correct horse"),
                },
            )
        connection.execute(
            text(
                "INSERT INTO venues (id, organizer_id, name, api_key_hash, created_at) "
                "VALUES (3, 7, 'Hall', :hash, 0)"
            ),
            {"hash": "0" * 64},
        )
        connection.execute(
            text(
                "INSERT INTO events (id, organizer_id, venue_id, name, starts_at, ends_at, "
                "last_seq, created_at) VALUES (4, 7, 3, 'Concert', 1000, 2000, 0, 0)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO signing_keys (id, event_id, public_key, sealed_private_key, "
                "created_at) VALUES (1, 4, :key, :sealed, 0)"
            ),
            {"key": "A" * 43, "sealed": b"sealed"},
        )

    upgrade(engine)

    with engine.connect() as connection:
        orgs = connection.execute(text("SELECT id, name, created_at FROM organisations")).all()
        members = connection.execute(text("SELECT org_id, user_id, role FROM memberships")).all()
    engine.dispose()
    assert [tuple(row) for row in orgs] == [(7, "User 7", 5)]
    assert [tuple(row) for row in members] == [(7, 7, "owner")]

    settings = CloudSettings(
        database_url=empty_database_url,
        master_key=secrets.token_bytes(32),
        jwt_secret=secrets.token_urlsafe(48),
        data_dir=tmp_path,
    )
    with TestClient(create_app(settings)) as client:
        login = client.post(
            "/api/v1/auth/login", json={"email": "org@example.org", "password": "correct horse"}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        events = client.get("/api/v1/events", headers=headers)
        venues = client.get("/api/v1/venues", headers=headers)
        # New organisations get fresh ids past the copied ones.
        created = client.post("/api/v1/orgs", json={"name": "Second"}, headers=headers)
        buyer = client.post(
            "/api/v1/auth/login", json={"email": "buyer@example.org", "password": "correct horse"}
        ).json()
        buyer_me = client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {buyer['access_token']}"}
        )

    assert [e["event_id"] for e in events.json()] == [4]
    assert [v["venue_id"] for v in venues.json()] == [3]
    assert created.status_code == 201 and created.json()["org_id"] > 7
    assert buyer_me.json()["organisations"] == []
