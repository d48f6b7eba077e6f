from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from cloud.app import create_app
from cloud.settings import CloudSettings
from shared.messages import ScanBatch, encode
from shared.reasons import Reason
from tests.cloud.conftest import Api, Setup
from tests.cloud.sync.test_scan_upload import scan
from tests.support import free_port


def test_health_checks_the_database(client: TestClient[Any]) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}


def test_health_reports_a_missing_database(tmp_path: Any) -> None:
    settings = CloudSettings(
        database_url=f"sqlite:///{tmp_path}/no-such-dir/cloud.db",
        master_key=b"m" * 32,
        jwt_secret="j" * 40,
        data_dir=tmp_path,
    )
    with TestClient(create_app(settings)) as client:
        r = client.get("/health")
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable"


def test_metrics_count_requests(api: Api, client: TestClient[Any]) -> None:
    api.signup()
    r = client.get("/metrics")
    assert r.status_code == 200
    assert "bilten_cloud_requests_total" in r.text
    assert 'path="/api/v1/auth/signup"' in r.text


def test_metrics_count_each_route_by_status_with_its_latency(
    api: Api, client: TestClient[Any]
) -> None:
    route = {"app_name": "bilten_cloud", "method": "GET", "path": "/api/v1/shop/events/{event_id}"}
    setup = api.setup()
    before = _series(client.get("/metrics").text)

    for _ in range(3):
        assert client.get(f"/api/v1/shop/events/{setup.event_id}").status_code == 200
    assert client.get("/api/v1/shop/events/999999").status_code == 404
    after = _series(client.get("/metrics").text)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("bilten_cloud_requests_total", **route, status_code="200") == 3
    assert grew("bilten_cloud_requests_total", **route, status_code="404") == 1
    assert grew("bilten_cloud_request_duration_seconds_count", **route, status_code="200") == 3
    assert grew("bilten_cloud_request_duration_seconds_sum", **route, status_code="200") > 0
    assert grew("bilten_cloud_requests_error_total", **route, status_code="404") == 0
    # Nothing is under way once the answers are in.
    key = (
        "bilten_cloud_requests_in_progress",
        tuple(sorted({**route, "status_code": "200"}.items())),
    )
    assert after[key] == 0


def _series(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_openapi_lists_the_protocol(client: TestClient[Any]) -> None:
    r = client.get("/schema/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in (
        "/api/v1/auth/signup",
        "/api/v1/auth/login",
        "/api/v1/venues",
        "/api/v1/events",
        "/api/v1/events/{event_id}/ticket-types",
        "/api/v1/events/{event_id}/tickets",
        "/api/v1/tickets/{ticket_id}/revoke",
        "/api/v1/events/{event_id}/keys",
        "/api/v1/events/{event_id}/scans",
        "/api/v1/events/{event_id}/conflicts",
        "/api/v1/venue/me",
        "/api/v1/venue/manifest",
        "/api/v1/venue/scans",
    ):
        assert path in paths, path


# -- liveness and readiness -----------------------------------------------------------------


def _settings(tmp_path: Path, database_url: str, **extra: Any) -> CloudSettings:
    return CloudSettings(
        database_url=database_url,
        master_key=b"m" * 32,
        jwt_secret="j" * 40,
        data_dir=tmp_path,
        **extra,
    )


def test_liveness_needs_nothing_but_readiness_needs_the_database(tmp_path: Path) -> None:
    settings = _settings(tmp_path, f"sqlite:///{tmp_path}/no-such-dir/cloud.db")
    with TestClient(create_app(settings)) as client:
        live = client.get("/health/live")
        ready = client.get("/health/ready")

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "database": "OperationalError",
        "redis": "not configured",
    }


@pytest.mark.redis
def test_readiness_checks_redis_when_one_is_configured(
    tmp_path: Path, database_url: str, redis_url: str, redis_prefix: str
) -> None:
    with TestClient(
        create_app(
            _settings(tmp_path, database_url, redis_url=redis_url, redis_prefix=redis_prefix)
        )
    ) as client:
        ready = client.get("/health/ready")

    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ok", "database": "ok", "redis": "ok"},
    )


def test_a_process_whose_redis_is_gone_is_not_ready(tmp_path: Path, database_url: str) -> None:
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    with TestClient(create_app(_settings(tmp_path, database_url, redis_url=nobody))) as client:
        live = client.get("/health/live")
        ready = client.get("/health/ready")
        old = client.get("/health")

    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "database": "ok", "redis": "ConnectionError"}
    # /health keeps its meaning for the scripts that use it: the database.
    assert old.status_code == 200


# -- metrics from the database and the scan intake ------------------------------------------


def _sample(text: str, name: str, **labels: str) -> float:
    shown = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    wanted = name + ("{" + shown + "}" if labels else "")
    for line in text.splitlines():
        metric, _, value = line.rpartition(" ")
        if metric == wanted:
            return float(value)
    return 0.0


def test_metrics_read_the_outbox_and_the_holds_from_the_database(
    tmp_path: Path, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url)
    # A second process on the same database whose holds run out after a second.
    hasty = replace(settings, hold_seconds=1)

    def hold(client: TestClient[Any], setup: Setup, quantity: int) -> None:
        answer = client.post(
            "/api/v1/shop/holds",
            json={
                "event_id": setup.event_id,
                "buyer_email": "ada@example.org",
                "buyer_name": "Ada",
                "items": [{"type_id": setup.type_id, "quantity": quantity}],
            },
        )
        assert answer.status_code == 201, answer.text

    with TestClient(create_app(settings)) as client, TestClient(create_app(hasty)) as other:
        setup = Api(client).setup()  # the sign-up queues an address verification email
        before = client.get("/metrics").text
        hold(client, setup, 3)
        held = client.get("/metrics").text
        hold(other, setup, 2)
        # No worker runs here to put the seats of the hold that ran out back on sale.
        deadline = time.monotonic() + 30
        while (
            _sample(ran_out := client.get("/metrics").text, "bilten_cloud_holds_awaiting_release")
            < 1
        ):
            assert time.monotonic() < deadline
            time.sleep(0.2)

    assert _sample(before, "bilten_cloud_metrics_database_up") == 1
    assert _sample(before, "bilten_cloud_outbox_messages", status="queued") == 1
    assert _sample(before, "bilten_cloud_outbox_messages", status="dead") == 0
    assert _sample(before, "bilten_cloud_active_holds") == 0
    assert _sample(held, "bilten_cloud_active_holds") == 1
    assert _sample(held, "bilten_cloud_held_seats") == 3
    assert _sample(ran_out, "bilten_cloud_active_holds") == 1
    assert _sample(ran_out, "bilten_cloud_held_seats") == 3
    assert _sample(ran_out, "bilten_cloud_holds_awaiting_release") == 1


def test_metrics_say_when_the_database_did_not_answer(tmp_path: Path) -> None:
    settings = _settings(tmp_path, f"sqlite:///{tmp_path}/no-such-dir/cloud.db")
    with TestClient(create_app(settings)) as client:
        answer = client.get("/metrics")

    assert answer.status_code == 200
    assert _sample(answer.text, "bilten_cloud_metrics_database_up") == 0
    assert "bilten_cloud_requests_total" in answer.text


def test_metrics_count_scans_per_gate_once(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    venue = str(setup.venue_id)
    batch = encode(
        ScanBatch(
            scans=[
                scan(setup.event_id, "A" * 20, gate="North"),
                scan(setup.event_id, "B" * 20, gate="North"),
                scan(setup.event_id, "A" * 20, gate="South", reason=Reason.ALREADY_ADMITTED),
            ]
        )
    )
    before = client.get("/metrics").text
    for _ in range(2):  # the second time is a retry: nothing new is counted
        answer = client.post("/api/v1/venue/scans", content=batch, headers=setup.venue_headers)
        assert answer.status_code == 200, answer.text
    after = client.get("/metrics").text

    def grew(name: str, **labels: str) -> float:
        return _sample(after, name, **labels) - _sample(before, name, **labels)

    assert grew("bilten_cloud_scans_admitted_total", venue_id=venue, gate="North") == 2
    assert grew("bilten_cloud_scans_admitted_total", venue_id=venue, gate="South") == 0
    assert (
        grew(
            "bilten_cloud_scans_rejected_total",
            venue_id=venue,
            gate="South",
            reason="already_admitted",
        )
        == 1
    )
