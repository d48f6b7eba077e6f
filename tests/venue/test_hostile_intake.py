"""Hostile scan uploads at the venue server's intake (``POST /api/v1/scans``), over HTTP from
a paired device: each generated body is stored whole and acknowledged, or refused with a 4xx
that stores nothing. Never a 5xx. ``BILTEN_LONG=1`` sends 100,000 bodies."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from litestar.testing import TestClient

from tests.shared.test_hostile_inputs import hostile_batch_bytes
from tests.support import LONG, figure, quick_or_long
from venue_server.app import create_app
from venue_server.pairing import issue_pairing_code
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore

TRIED: Counter[str] = Counter()


@pytest.fixture
def device_client(
    settings: VenueSettings, store: VenueStore
) -> Iterator[tuple[TestClient[Any], dict[str, str]]]:
    with TestClient(create_app(settings, store=store, sync=False)) as client:
        code = issue_pairing_code(store, "North", 900, int(time.time()))
        paired = client.post("/api/v1/pair", json={"v": 1, "code": code, "device_name": "d1"})
        assert paired.status_code == 200, paired.text
        yield client, {"Authorization": f"Bearer {paired.json()['device_token']}"}


@settings(
    max_examples=quick_or_long(200, 100_000),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(body=hostile_batch_bytes())
def test_hostile_scan_uploads_are_stored_whole_or_refused_whole(
    device_client: tuple[TestClient[Any], dict[str, str]], store: VenueStore, body: bytes
) -> None:
    client, headers = device_client
    TRIED["bodies"] += 1
    before = store.scan_counts()[0]
    answer = client.post(
        "/api/v1/scans", content=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert answer.status_code in {200, 400, 403}, answer.text
    if answer.status_code != 200:
        assert answer.json()["detail"]
        assert store.scan_counts()[0] == before, "a refused batch stored something"
        return
    TRIED["accepted"] += 1
    ack = answer.json()
    assert store.scan_counts()[0] == before + ack["stored"]
    again = client.post(
        "/api/v1/scans", content=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert again.status_code == 200
    assert again.json()["stored"] == 0


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Any:
    yield
    if TRIED["bodies"] and not request.session.testsfailed:
        figure(
            "hostile venue scan intake",
            bodies=TRIED["bodies"],
            accepted=TRIED["accepted"],
            server_errors=0,
            mode="long" if LONG else "quick",
        )
