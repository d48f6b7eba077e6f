from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from cloud.app import create_app
from cloud.settings import CloudSettings
from tests.cloud.conftest import Api


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
