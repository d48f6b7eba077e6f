"""Hostile scan uploads at the cloud's intake (``POST /api/v1/venue/scans``), over HTTP, on
SQLite and PostgreSQL: each generated body is stored whole and acknowledged, or refused with
a 400 that stores nothing. Never a 5xx. ``BILTEN_LONG=1`` sends 100,000 bodies per database."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from litestar.testing import TestClient

from tests.cloud.conftest import Api
from tests.shared.test_hostile_inputs import _scan, hostile_batch_bytes
from tests.support import LONG, figure, quick_or_long

TRIED: Counter[str] = Counter()


@pytest.fixture
def venue_headers(api: Api) -> dict[str, str]:
    return api.setup().venue_headers


def _held(client: TestClient[Any], headers: dict[str, str]) -> int:
    """How many scans the cloud holds from this venue: an empty batch acks nothing, so ask
    the organizer-independent way, by replaying nothing and counting the database."""
    from sqlalchemy import func, select

    from cloud.scans.models import Scan

    factory = client.app.state.session_factory
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(Scan)) or 0)


EDGES = {
    "time past 64 bits": {"scanned_at_ms": 2**63},
    "negative time": {"scanned_at_ms": -1},
    "NUL in the gate": {"gate": "North\x00"},
    "NUL in what was read": {"raw": "\x00"},
    "NUL in the note": {"note": "a\x00b"},
    "lone surrogate": {"gate": "\ud800"},
}
# Valid for the protocol (a ticket's event id has 32 bits), unknown to any database here.
KEPT_WITHOUT_EVENT = {
    "event id past 31 bits": {"event_id": 2**31},
    "largest": {"event_id": 2**32 - 1},
}


def test_what_no_database_stores_is_refused_and_unknown_events_are_kept(
    client: TestClient[Any], venue_headers: dict[str, str]
) -> None:
    def upload(**fields: Any) -> int:
        body = json.dumps({"v": 1, "scans": [_scan(**fields)]}).encode()
        return client.post(
            "/api/v1/venue/scans",
            content=body,
            headers={**venue_headers, "Content-Type": "application/json"},
        ).status_code

    for edge, fields in EDGES.items():
        assert upload(**fields) == 400, edge
    assert _held(client, venue_headers) == 0
    for edge, fields in KEPT_WITHOUT_EVENT.items():
        assert upload(**fields) == 200, edge
    assert _held(client, venue_headers) == len(KEPT_WITHOUT_EVENT)


@settings(
    max_examples=quick_or_long(150, 100_000),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(body=hostile_batch_bytes())
def test_hostile_scan_uploads_are_stored_whole_or_refused_whole(
    client: TestClient[Any], venue_headers: dict[str, str], database_url: str, body: bytes
) -> None:
    kind = database_url.split(":", 1)[0]
    TRIED[kind] += 1
    before = _held(client, venue_headers)
    answer = client.post(
        "/api/v1/venue/scans",
        content=body,
        headers={**venue_headers, "Content-Type": "application/json"},
    )
    assert answer.status_code in {200, 400}, answer.text
    after = _held(client, venue_headers)
    if answer.status_code == 400:
        assert answer.json()["detail"]
        assert after == before, "a refused batch stored something"
        return
    TRIED[f"{kind} accepted"] += 1
    ack = answer.json()
    assert after == before + ack["stored"]
    again = client.post(
        "/api/v1/venue/scans",
        content=body,
        headers={**venue_headers, "Content-Type": "application/json"},
    )
    assert again.status_code == 200
    assert again.json()["stored"] == 0
    assert sorted(again.json()["acked"]) == sorted(ack["acked"])


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Any:
    yield
    if request.session.testsfailed:
        return
    for kind in ("sqlite", "postgresql+psycopg"):
        if TRIED[kind]:
            figure(
                f"hostile cloud scan intake ({kind.split('+')[0]})",
                bodies=TRIED[kind],
                accepted=TRIED[f"{kind} accepted"],
                server_errors=0,
                mode="long" if LONG else "quick",
            )
