"""Sign-up, login and the API's tokens: a 15-minute access token and a refresh token that
rotates, where a stolen copy used twice ends the whole login."""

from __future__ import annotations

from typing import Any

import jwt
from litestar.testing import TestClient

from cloud.settings import CloudSettings
from tests.cloud.conftest import Api


def _signup(client: TestClient[Any], email: str, **extra: Any) -> dict[str, Any]:
    r = client.post(
        "/api/v1/auth/signup",
        json={"email": email, "password": "correct horse", "name": "Grace", **extra},
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_signup_then_login_gives_a_working_token(api: Api, client: TestClient[Any]) -> None:
    api.signup("Grace@Example.org", password="s3cret-pass")

    r = client.post(
        "/api/v1/auth/login", json={"email": "grace@example.org", "password": "s3cret-pass"}
    )

    assert r.status_code == 200
    body = r.json()
    assert (body["token_type"], body["expires_in"]) == ("bearer", 15 * 60)
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["typ"] == "access"
    venues = client.get("/api/v1/venues", headers=_bearer(body))
    assert venues.status_code == 200
    assert venues.json() == []


def test_an_organizer_signup_owns_a_new_organisation_and_a_buyer_has_none(
    client: TestClient[Any],
) -> None:
    organizer = _signup(client, "org@example.org", organisation="Night Owls")
    buyer = _signup(client, "buyer@example.org")

    org_me = client.get("/api/v1/auth/me", headers=_bearer(organizer)).json()
    buyer_me = client.get("/api/v1/auth/me", headers=_bearer(buyer)).json()

    assert [(o["name"], o["role"]) for o in org_me["organisations"]] == [("Night Owls", "owner")]
    assert (org_me["email"], org_me["email_verified"], org_me["is_admin"]) == (
        "org@example.org",
        False,
        False,
    )
    assert buyer_me["organisations"] == []
    # A buyer has no organisation to act for.
    r = client.get("/api/v1/events", headers=_bearer(buyer))
    assert r.status_code == 403
    assert "not a member of any organisation" in r.json()["detail"]


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


def test_duplicate_signup_is_a_conflict_and_creates_no_organisation(
    api: Api, client: TestClient[Any]
) -> None:
    first = api.signup("dup@example.org")
    r = client.post(
        "/api/v1/auth/signup",
        json={
            "email": "DUP@example.org",
            "password": "another-one",
            "name": "Dup",
            "organisation": "Second",
        },
    )
    assert r.status_code == 409
    orgs = client.get("/api/v1/orgs", headers=first.headers).json()
    assert [o["name"] for o in orgs] == ["Org"]


def test_bad_signups_are_refused(client: TestClient[Any]) -> None:
    for body in (
        {"email": "x@example.org", "password": "short", "name": "X"},
        {"email": "x@example.org", "password": "long enough", "name": "X", "organisation": ""},
        {"email": "x@example.org", "password": "long enough", "name": "X", "is_admin": True},
        {"email": "not-an-email", "password": "long enough", "name": "X"},
    ):
        r = client.post("/api/v1/auth/signup", json=body)
        assert r.status_code == 400, body
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": "x@example.org", "password": "long enough"}
        ).status_code
        == 401
    )


def test_missing_forged_expired_and_refresh_shaped_tokens_are_refused(
    client: TestClient[Any], settings: CloudSettings
) -> None:
    tokens = _signup(client, "eve@example.org", organisation="Eve")
    forged = jwt.encode({"sub": "1", "exp": 4102444800, "typ": "access"}, "x" * 40, "HS256")
    expired = jwt.encode({"sub": "1", "exp": 1, "typ": "access"}, settings.jwt_secret, "HS256")
    other_kind = jwt.encode(
        {"sub": "1", "exp": 4102444800, "typ": "organizer"}, settings.jwt_secret, "HS256"
    )

    assert client.get("/api/v1/events").status_code == 401
    for token in (forged, expired, other_kind, tokens["refresh_token"], "garbage"):
        r = client.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, token
    r = client.get("/api/v1/events", headers={"Authorization": f"Bearer {expired}"})
    assert "expired" in r.json()["detail"]


def test_a_refresh_token_rotates_and_its_reuse_ends_the_whole_login(
    client: TestClient[Any],
) -> None:
    first = _signup(client, "rita@example.org", organisation="Rita's")

    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    second_tokens = second.json()
    assert second_tokens["refresh_token"] != first["refresh_token"]
    assert client.get("/api/v1/events", headers=_bearer(second_tokens)).status_code == 200
    third = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second_tokens["refresh_token"]}
    ).json()

    # Someone replays the first, already spent token: theft. Every token of that login dies.
    replay = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert "already used" in replay.json()["detail"]
    latest = client.post("/api/v1/auth/refresh", json={"refresh_token": third["refresh_token"]})
    assert latest.status_code == 401

    # Another login of the same person is not affected.
    login = client.post(
        "/api/v1/auth/login", json={"email": "rita@example.org", "password": "correct horse"}
    ).json()
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert again.status_code == 200


def test_logout_ends_the_refresh_token_and_its_successors(client: TestClient[Any]) -> None:
    first = _signup(client, "lou@example.org")
    second = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    ).json()

    r = client.post("/api/v1/auth/logout", json={"refresh_token": first["refresh_token"]})

    assert r.status_code == 204
    refused = client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert refused.status_code == 401
    unknown = client.post("/api/v1/auth/refresh", json={"refresh_token": "no-such-token"})
    assert unknown.status_code == 401
    assert client.post("/api/v1/auth/logout", json={"refresh_token": "x"}).status_code == 204
