"""Rotating a venue's API key: only an owner may, the new key works at once and the old one
never again; and the gates a venue's scans name."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from shared.messages import ScanBatch, encode
from shared.reasons import Reason
from tests.cloud.analytics.test_reports_api import _member
from tests.cloud.conftest import Api
from tests.cloud.sync.test_scan_upload import scan


def test_only_an_owner_rotates_and_the_old_key_stops_at_once(
    api: Api, client: TestClient[Any]
) -> None:
    setup = api.setup()
    owner = setup.organizer
    rotate = f"/api/v1/venues/{setup.venue_id}/rotate-key"
    for role in ("viewer", "manager"):
        refused = client.post(rotate, headers=_member(client, api, owner, role))
        assert refused.status_code == 403, refused.text
    # Refused rotations changed nothing.
    assert client.get("/api/v1/venue/me", headers=setup.venue_headers).status_code == 200

    r = client.post(rotate, headers=owner.headers)
    assert r.status_code == 200, r.text
    new_key = r.json()["api_key"]
    assert new_key.startswith("bvk_")
    old = client.get("/api/v1/venue/me", headers=setup.venue_headers)
    assert old.status_code == 401
    new = client.get("/api/v1/venue/me", headers={"Authorization": f"Bearer {new_key}"})
    assert new.status_code == 200 and new.json()["venue_id"] == setup.venue_id
    upload = client.post(
        "/api/v1/venue/scans",
        content=encode(ScanBatch(scans=[scan(setup.event_id, None, reason=Reason.UNREADABLE)])),
        headers=setup.venue_headers,
    )
    assert upload.status_code == 401


def test_another_organisation_cannot_rotate_a_venue_key(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    stranger = api.signup()
    r = client.post(f"/api/v1/venues/{setup.venue_id}/rotate-key", headers=stranger.headers)
    assert r.status_code == 404
    assert client.get("/api/v1/venue/me", headers=setup.venue_headers).status_code == 200


def test_gates_are_the_ones_the_scans_name(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    [ticket] = api.issue(setup.organizer, setup.event_id, setup.type_id)
    batch = ScanBatch(
        scans=[
            scan(setup.event_id, ticket["ticket_id"], gate="North", device="dA", wall_ms=1_000),
            scan(setup.event_id, ticket["ticket_id"], gate="North", device="dB", wall_ms=2_000,
                 reason=Reason.ALREADY_ADMITTED),
            scan(None, None, gate="Side door", device="dC", wall_ms=3_000,
                 reason=Reason.UNREADABLE),
        ]
    )  # fmt: skip
    r = client.post("/api/v1/venue/scans", content=encode(batch), headers=setup.venue_headers)
    assert r.status_code == 200
    gates = client.get(
        f"/api/v1/venues/{setup.venue_id}/gates", headers=setup.organizer.headers
    ).json()
    assert [(g["gate"], g["devices"], g["scans"], g["admitted"]) for g in gates] == [
        ("North", 2, 2, 1),
        ("Side door", 1, 1, 0),
    ]
    assert gates[1]["last_scan_at"] == "1970-01-01T00:00:03Z"
    stranger = api.signup()
    hidden = client.get(f"/api/v1/venues/{setup.venue_id}/gates", headers=stranger.headers)
    assert hidden.status_code == 404
