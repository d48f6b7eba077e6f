from __future__ import annotations

from typing import Any

import jwt
from litestar.testing import TestClient

from cloud.settings import CloudSettings
from tests.cloud.conftest import Api


def test_signup_then_login_gives_a_working_token(api: Api, client: TestClient[Any]) -> None:
    api.signup("Grace@Example.org", password="s3cret-pass")

    r = client.post(
        "/api/v1/auth/login", json={"email": "grace@example.org", "password": "s3cret-pass"}
    )

    assert r.status_code == 200
    assert r.json()["token_type"] == "bearer"
    venues = client.get(
        "/api/v1/venues", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert venues.status_code == 200
    assert venues.json() == []


def test_wrong_password_and_unknown_email_get_the_same_401(
    api: Api, client: TestClient[Any]
) -> None:
    api.signup("ann@example.org", password="right-password")

    wrong = client.post(
        "/api/v1/auth/login", json={"email": "ann@example.org", "password": "wrong-password"}
    )
    nobody = client.post(
        "/api/v1/auth/login", json={"email": "bob@example.org", "password": "right-password"}
    )

    assert wrong.status_code == nobody.status_code == 401
    assert (
        wrong.json() == nobody.json() == {"status_code": 401, "detail": "wrong email or password"}
    )


def test_duplicate_signup_is_a_conflict(api: Api, client: TestClient[Any]) -> None:
    api.signup("dup@example.org")
    r = client.post(
        "/api/v1/auth/signup",
        json={"email": "DUP@example.org", "password": "another-one", "name": "Dup"},
    )
    assert r.status_code == 409


def test_short_password_is_refused(client: TestClient[Any]) -> None:
    r = client.post(
        "/api/v1/auth/signup", json={"email": "x@example.org", "password": "short", "name": "X"}
    )
    assert r.status_code == 400


def test_missing_forged_and_expired_tokens_are_refused(
    client: TestClient[Any], settings: CloudSettings
) -> None:
    forged = jwt.encode({"sub": "1", "exp": 4102444800, "typ": "organizer"}, "x" * 40, "HS256")
    expired = jwt.encode({"sub": "1", "exp": 1, "typ": "organizer"}, settings.jwt_secret, "HS256")

    assert client.get("/api/v1/events").status_code == 401
    for token in (forged, expired, "garbage"):
        r = client.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, token
    r = client.get("/api/v1/events", headers={"Authorization": f"Bearer {expired}"})
    assert "expired" in r.json()["detail"]
