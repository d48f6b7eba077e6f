"""Keys and secrets at rest, read from the database files themselves: after a real sign-up,
a venue, an event with its signing key, a login, a paired scanner and a manager password, no
secret is in any file of the cloud's or the venue server's database in a usable form."""

from __future__ import annotations

import base64
import secrets
import time
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from cloud.db import make_engine, make_session_factory
from cloud.events.models import SigningKey
from cloud.events.signing import unseal
from cloud.settings import CloudSettings
from shared.messages import PairRequest
from tests.cloud_harness import Cloud, migrated
from venue_server.managers import set_manager_password
from venue_server.pairing import issue_pairing_code, pair_device
from venue_server.store import VenueStore


def _spellings(secret: bytes | str) -> list[bytes]:
    raw = secret.encode() if isinstance(secret, str) else secret
    return [
        raw,
        raw.hex().encode(),
        base64.b64encode(raw).rstrip(b"="),
        base64.urlsafe_b64encode(raw).rstrip(b"="),
    ]


def _files(database: Path) -> bytes:
    """Every byte SQLite keeps for ``database``: the file, its journal and its WAL."""
    return b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))


def test_no_cloud_secret_is_readable_in_its_database_file(tmp_path: Path) -> None:
    database = tmp_path / "cloud.db"
    master_key = secrets.token_bytes(32)
    settings = migrated(
        CloudSettings(
            database_url=f"sqlite:///{database}",
            master_key=master_key,
            jwt_secret=secrets.token_urlsafe(48),
            data_dir=tmp_path / "cloud",
        )
    )
    cloud = Cloud(settings)
    cloud.start()
    password = "correct horse " + secrets.token_hex(4)
    try:
        with httpx.Client(base_url=cloud.url, timeout=10) as http:
            account = http.post(
                "/api/v1/auth/signup",
                json={
                    "email": "owner@example.org",
                    "password": password,
                    "name": "Owner",
                    "organisation": "Org",
                },
            ).json()
            headers = {"Authorization": f"Bearer {account['access_token']}"}
            venue = http.post("/api/v1/venues", json={"name": "Hall"}, headers=headers).json()
            event = http.post(
                "/api/v1/events",
                json={
                    "name": "Concert",
                    "venue_id": venue["venue_id"],
                    "starts_at": "2030-06-01T19:00:00Z",
                    "ends_at": "2030-06-01T23:00:00Z",
                },
                headers=headers,
            ).json()
            http.post(f"/api/v1/events/{event['event_id']}/keys", headers=headers)
    finally:
        cloud.stop()

    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        sealed = list(session.query(SigningKey))
        private_keys = [
            unseal(master_key, row.id, row.sealed_private_key).private_bytes(
                Encoding.Raw, PrivateFormat.Raw, NoEncryption()
            )
            for row in sealed
        ]
        public_keys = [row.public_key for row in sealed]
    engine.dispose()
    assert len(private_keys) == 2  # the event's first key and the rotated one

    stored = _files(database)
    # The check can see what is there: the public halves are stored as they are.
    assert all(key.encode() in stored for key in public_keys)
    for name, secret in [
        ("password", password),
        ("venue API key", venue["api_key"]),
        ("refresh token", account["refresh_token"]),
        ("master key", master_key),
        *(("signing key", key) for key in private_keys),
    ]:
        for spelling in _spellings(secret):
            assert spelling not in stored, f"the {name} is readable in the database file"


def test_no_venue_secret_is_readable_in_its_database_file(tmp_path: Path) -> None:
    database = tmp_path / "venue.db"
    store = VenueStore(database)
    manager_password = "battery staple " + secrets.token_hex(4)
    try:
        set_manager_password(store, manager_password)
        code = issue_pairing_code(store, "North", 900, int(time.time()))
        device = pair_device(store, PairRequest(code=code, device_name="Gate"), int(time.time()))
    finally:
        store.close()
    stored = _files(database)
    assert device.device_id.encode() in stored
    for name, secret in [
        ("device token", device.device_token),
        ("pairing code", code),
        ("pairing code", code.replace("-", "")),
        ("manager password", manager_password),
    ]:
        for spelling in _spellings(secret):
            assert spelling not in stored, f"the {name} is readable in the database file"
