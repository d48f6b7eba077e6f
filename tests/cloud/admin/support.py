"""A platform admin made the way an operator makes one, logged in through the API."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from cloud.db import make_engine, make_session_factory
from cloud.settings import CloudSettings
from cloud.users.admins import make_admin

ADMIN_EMAIL = "root@example.org"
ADMIN_PASSWORD = "admin password"


def create_admin(settings: CloudSettings, email: str = ADMIN_EMAIL) -> None:
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            make_admin(session, email, name="Root", password=lambda: ADMIN_PASSWORD, now=1)
    finally:
        engine.dispose()


def admin_headers(client: TestClient[Any], settings: CloudSettings) -> dict[str, str]:
    create_admin(settings)
    r = client.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
