"""Input that no database column can hold is refused with a clear 4xx before any query runs,
on SQLite and PostgreSQL alike (PostgreSQL text cannot hold NUL; its ids are 32-bit)."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from cloud.clock import now_s
from cloud.users.admins import make_admin
from tests.cloud.conftest import Api


def test_a_nul_character_anywhere_in_a_request_is_refused_with_400(
    api: Api, client: TestClient[Any]
) -> None:
    org = api.signup()
    for path, body in [
        ("/api/v1/venues", {"name": "Hall\u0000"}),
        ("/api/v1/orgs", {"name": "\u0000"}),
        ("/api/v1/auth/login", {"email": "a\u0000@example.org", "password": "correct horse"}),
    ]:
        answer = client.post(path, json=body, headers=org.headers)
        assert answer.status_code == 400, (path, answer.text)
        assert "NUL" in answer.json()["detail"]
    assert client.get("/api/v1/shop/events", params={"q": "rock\u0000"}).status_code == 400
    # A query that only spells "%00" out (sent as %2500) holds no NUL.
    assert client.get("/api/v1/shop/events", params={"q": "100%00"}).status_code == 200
    form = client.post(
        "/account/login",
        content=b"email=a%00%40example.org&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code in {400, 403}  # 403 when the CSRF check comes first
    assert client.get("/api/v1/venues", headers=org.headers).json() == []


def test_an_id_no_row_can_have_is_404(api: Api, client: TestClient[Any]) -> None:
    org = api.signup()
    for event_id in (2**31, 2**63, 10**30):
        assert client.get(f"/api/v1/events/{event_id}", headers=org.headers).status_code == 404
        assert client.get(f"/api/v1/shop/events/{event_id}").status_code == 404
    too_big = {**org.headers, "Bilten-Organisation": "99999999999"}
    assert client.get("/api/v1/events", headers=too_big).status_code == 400


def test_an_offset_past_any_row_is_refused_not_a_server_error(client: TestClient[Any]) -> None:
    with client.app.state.session_factory() as session:
        make_admin(
            session, "root@example.org", name="Root", password=lambda: "correct horse", now=now_s()
        )
        session.commit()
    login = client.post(
        "/api/v1/auth/login", json={"email": "root@example.org", "password": "correct horse"}
    )
    admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for path in ("/api/v1/admin/users", "/api/v1/admin/orgs"):
        answer = client.get(path, params={"offset": 2**64}, headers=admin)
        assert answer.status_code == 400, answer.text
        assert client.get(path, params={"offset": 10**6}, headers=admin).json() == []
