"""The venue server against the real cloud application (embedded SQLite), over loopback HTTP."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from shared.cli import main
from tests.support import serving
from tests.venue.conftest import scan
from venue_server.cloud_sync import SyncRunner
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore

cloud_app = pytest.importorskip("cloud.app")
cloud_db = pytest.importorskip("cloud.db")
cloud_migrate = pytest.importorskip("cloud.migrate")
cloud_settings = pytest.importorskip("cloud.settings")


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def test_pull_revocations_and_upload_against_the_real_cloud(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'cloud.db'}"
    engine = cloud_db.make_engine(database_url)
    cloud_migrate.upgrade(engine)
    engine.dispose()
    settings = cloud_settings.CloudSettings(
        database_url=database_url,
        master_key=secrets.token_bytes(32),
        jwt_secret=secrets.token_urlsafe(48),
        data_dir=tmp_path / "cloud",
    )
    venue_settings = VenueSettings(data_dir=tmp_path / "venue")

    with (
        serving(cloud_app.create_app(settings)) as cloud,
        httpx.Client(base_url=cloud.url, timeout=10) as http,
    ):
        signup = http.post(
            "/api/v1/auth/signup",
            json={"email": "org@example.org", "password": "correct horse", "name": "Org"},
        )
        assert signup.status_code == 201, signup.text
        org = {"Authorization": f"Bearer {signup.json()['access_token']}"}
        venue = http.post("/api/v1/venues", json={"name": "Main Hall"}, headers=org).json()
        now = datetime.now(UTC)
        event = http.post(
            "/api/v1/events",
            json={
                "name": "Concert",
                "venue_id": venue["venue_id"],
                "starts_at": _iso(now + timedelta(hours=1)),
                "ends_at": _iso(now + timedelta(hours=4)),
            },
            headers=org,
        ).json()
        kind = http.post(
            f"/api/v1/events/{event['event_id']}/ticket-types",
            json={"name": "Standing", "capacity": 10},
            headers=org,
        ).json()
        issued = http.post(
            f"/api/v1/events/{event['event_id']}/tickets",
            json={"type_id": kind["type_id"], "holder_name": "Ada", "count": 3},
            headers=org,
        )
        assert issued.status_code == 201, issued.text
        tickets = issued.json()["tickets"]

        assert (
            main(
                [
                    "venue",
                    "pair",
                    "--cloud",
                    cloud.url,
                    "--key",
                    venue["api_key"],
                    "--data",
                    str(venue_settings.data_dir),
                ]
            )
            == 0
        )
        store = VenueStore(venue_settings.db_path)
        try:
            runner = SyncRunner(store, venue_settings)
            assert runner.run_once(), runner.status.snapshot().last_error
            rows, _ = store.tickets_after(0, 100)
            assert {t.ticket_id for _, t in rows} == {t["ticket_id"] for t in tickets}
            assert [k.key_id for k in store.public_keys()] == [event["key_id"]]

            revoked_id = tickets[0]["ticket_id"]
            answer = http.post(f"/api/v1/tickets/{revoked_id}/revoke", headers=org)
            assert answer.status_code in (200, 201), answer.text
            record = scan("dgate1", ticket_id=tickets[1]["ticket_id"], event_id=event["event_id"])
            store.add_scans([record], time.time_ns() // 1_000_000)
            assert runner.run_once(), runner.status.snapshot().last_error

            rows, _ = store.tickets_after(0, 100)
            assert {t.ticket_id: t.revoked for _, t in rows}[revoked_id] is True
            assert store.scan_counts() == (1, 0)
        finally:
            store.close()
        uploaded = http.get(f"/api/v1/events/{event['event_id']}/scans", headers=org).json()
        assert [s["scan_id"] for s in uploaded["scans"]] == [record.scan_id]
