from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.cloud.conftest import Api


def test_event_is_created_with_its_own_signing_key(api: Api, client: TestClient[Any]) -> None:
    org = api.signup()
    venue_id, _ = api.venue(org)
    first = api.event(org, venue_id, "Night one")
    second = api.event(org, venue_id, "Night two")

    assert first["starts_at"] == "2030-06-01T19:00:00Z"
    assert first["key_id"] != second["key_id"]
    listed = client.get("/api/v1/events", headers=org.headers).json()
    assert [e["name"] for e in listed] == ["Night one", "Night two"]
    keys = client.get(f"/api/v1/events/{first['event_id']}/keys", headers=org.headers).json()
    assert [(k["key_id"], k["event_id"]) for k in keys["keys"]] == [
        (first["key_id"], first["event_id"])
    ]
    assert set(keys["keys"][0]) == {"key_id", "event_id", "public_key"}


def test_event_needs_a_start_before_its_end(api: Api, client: TestClient[Any]) -> None:
    org = api.signup()
    venue_id, _ = api.venue(org)
    r = client.post(
        "/api/v1/events",
        json={
            "name": "Backwards",
            "venue_id": venue_id,
            "starts_at": "2030-06-02T00:00:00Z",
            "ends_at": "2030-06-01T00:00:00Z",
        },
        headers=org.headers,
    )
    assert r.status_code == 400
    assert "before" in r.json()["detail"]


def test_another_organizer_sees_none_of_it(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    [ticket] = api.issue(setup.organizer, setup.event_id, setup.type_id)
    other = api.signup()
    event = setup.event_id

    assert client.get("/api/v1/venues", headers=other.headers).json() == []
    assert client.get("/api/v1/events", headers=other.headers).json() == []
    attempts = [
        ("get", f"/api/v1/events/{event}/keys", None),
        ("get", f"/api/v1/events/{event}/scans", None),
        ("get", f"/api/v1/events/{event}/conflicts", None),
        ("post", f"/api/v1/events/{event}/ticket-types", {"name": "VIP", "capacity": 5}),
        ("post", f"/api/v1/events/{event}/tickets", {"type_id": setup.type_id, "holder_name": "X"}),
        ("post", f"/api/v1/tickets/{ticket['ticket_id']}/revoke", None),
        (
            "post",
            "/api/v1/events",
            {
                "name": "Squat",
                "venue_id": setup.venue_id,
                "starts_at": "2030-01-01T00:00:00Z",
                "ends_at": "2030-01-02T00:00:00Z",
            },
        ),
    ]
    for method, path, body in attempts:
        r = client.request(method, path, json=body, headers=other.headers)
        assert r.status_code == 404, (path, r.text)
    # And nothing they tried had an effect.
    manifest = client.get("/api/v1/venue/manifest", headers=setup.venue_headers).json()
    assert [t["revoked"] for t in manifest["tickets"]] == [False]
    assert len(manifest["events"]) == 1


def test_ticket_types_carry_their_entry_limit_and_reentry(
    api: Api, client: TestClient[Any]
) -> None:
    setup = api.setup()
    path = f"/api/v1/events/{setup.event_id}/ticket-types"
    bodies = [
        {"name": "Standing", "capacity": 10},
        {"name": "Weekend pass", "capacity": 10, "max_entries": 2},
        {"name": "VIP", "capacity": 10, "reentry": True},
        {"name": "Season", "capacity": 10, "max_entries": 0, "reentry": False},
    ]

    created = [client.post(path, json=body, headers=setup.organizer.headers) for body in bodies]

    assert [r.status_code for r in created] == [201] * 4
    assert [(r.json()["max_entries"], r.json()["reentry"]) for r in created] == [
        (1, False),
        (2, False),
        (1, True),
        (0, False),
    ]


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"max_entries": -1}, "max_entries", ">= 0"),
        ({"max_entries": 10_001}, "max_entries", "<= 10000"),
        ({"max_entries": "two"}, "max_entries", "int"),
        ({"reentry": "yes"}, "reentry", "bool"),
    ],
)
def test_a_bad_entry_limit_is_refused_clearly_and_creates_nothing(
    api: Api, client: TestClient[Any], extra: dict[str, Any], field: str, words: str
) -> None:
    setup = api.setup()
    r = client.post(
        f"/api/v1/events/{setup.event_id}/ticket-types",
        json={"name": "Broken", "capacity": 10, **extra},
        headers=setup.organizer.headers,
    )

    assert r.status_code == 400, r.text
    [problem] = r.json()["extra"]
    assert problem["key"] == field
    assert words in problem["message"]
    issue = client.post(
        f"/api/v1/events/{setup.event_id}/tickets",
        json={"type_id": setup.type_id + 1, "holder_name": "X"},
        headers=setup.organizer.headers,
    )
    assert issue.status_code == 404  # no type was made behind the refusal
