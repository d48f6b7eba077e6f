"""Schema migrations on SQLite and PostgreSQL: a database made by an earlier release upgrades
in place, keeps its data, and ends up exactly where the models say."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import msgspec
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import TestClient
from sqlalchemy import Engine, text

from cloud.app import create_app
from cloud.db import Base, load_models, make_engine, make_session_factory
from cloud.migrate import alembic_config, pending, upgrade
from cloud.scans.conflicts import detect_conflicts
from cloud.settings import CloudSettings
from cloud.users.security import issue_access_token
from cloud.venues.keys import digest, new_api_key
from shared.clock import Hlc
from shared.keys import encode_public_key
from shared.messages import Direction, ManifestPage, ScanRecord, decode

PREVIOUS = "2026_11_25_0001"
REF = "ABCDEFGHIJKLMNOPQRST"


def _migrate(engine: Engine, action: str, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def _fill_previous_schema(engine: Engine, api_key: str) -> list[str]:
    """An organizer, venue, event, ticket and two admissions, as the previous release wrote
    them; returns the scan ids."""
    public_key = encode_public_key(Ed25519PrivateKey.generate().public_key())
    scan_ids = [f"00000000-0000-4000-8000-00000000000{n}" for n in (1, 2)]
    rows: list[tuple[str, dict[str, Any]]] = [
        (
            "INSERT INTO users (id, email, name, password_hash, created_at) "
            "VALUES (1, 'org@example.org', 'Org', 'x', 0)",
            {},
        ),
        (
            "INSERT INTO venues (id, organizer_id, name, api_key_hash, created_at) "
            "VALUES (1, 1, 'Hall', :hash, 0)",
            {"hash": digest(api_key)},
        ),
        (
            "INSERT INTO events (id, organizer_id, venue_id, name, starts_at, ends_at, "
            "last_seq, created_at) VALUES (1, 1, 1, 'Concert', 1000, 2000, 1, 0)",
            {},
        ),
        (
            "INSERT INTO signing_keys (id, event_id, public_key, sealed_private_key, "
            "created_at) VALUES (1, 1, :key, :sealed, 0)",
            {"key": public_key, "sealed": b"sealed"},
        ),
        (
            "INSERT INTO ticket_types (id, event_id, name, capacity) VALUES (1, 1, 'Standing', 9)",
            {},
        ),
        (
            "INSERT INTO tickets (id, ticket_ref, event_id, type_id, key_id, holder_name, "
            "holder_email, token, issued_at, valid_from, valid_until, revoked, seq) VALUES "
            "(1, :ref, 1, 1, 1, 'Ada', 'ada@example.org', 'token', 0, NULL, NULL, :no, 1)",
            {"ref": REF, "no": False},
        ),
    ]
    for n, scan_id in enumerate(scan_ids, start=1):
        rows.append(
            (
                "INSERT INTO scans (scan_id, venue_id, event_id, ticket_ref, device_id, "
                "device_name, gate, hlc, scanned_at_ms, reason, raw, received_at) VALUES "
                "(:id, 1, 1, :ref, :device, 'Scanner', 'North', :hlc, :ms, 'admitted', NULL, 0)",
                {
                    "id": scan_id,
                    "ref": REF,
                    "device": f"d{n}",
                    "hlc": Hlc(n * 1000, 0, f"d{n}").encode(),
                    "ms": n * 1000,
                },
            )
        )
    with engine.begin() as connection:
        for statement, params in rows:
            connection.execute(text(statement), params)
    return scan_ids


def test_a_database_of_the_previous_release_upgrades_and_keeps_its_data(
    empty_database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(empty_database_url)
    _migrate(engine, "upgrade", PREVIOUS)
    api_key = new_api_key()
    scan_ids = _fill_previous_schema(engine, api_key)
    assert pending(engine)

    upgrade(engine)

    assert not pending(engine)
    assert detect_conflicts(make_session_factory(engine)) == 1
    engine.dispose()
    settings = CloudSettings(
        database_url=empty_database_url,
        master_key=secrets.token_bytes(32),
        jwt_secret=secrets.token_urlsafe(48),
        data_dir=tmp_path,
    )
    organizer = {"Authorization": f"Bearer {issue_access_token(1, settings.jwt_secret, 600)}"}
    with TestClient(create_app(settings)) as client:
        manifest = client.get(
            "/api/v1/venue/manifest", headers={"Authorization": f"Bearer {api_key}"}
        )
        scans = client.get("/api/v1/events/1/scans", headers=organizer).json()["scans"]
        conflicts = client.get("/api/v1/events/1/conflicts", headers=organizer).json()

    assert manifest.status_code == 200, manifest.text
    [ticket] = decode(manifest.content, ManifestPage).tickets
    # The old type is what every type was before: one entry, no re-entry.
    assert (ticket.ticket_id, ticket.holder_name, ticket.holder_email) == (
        REF,
        "Ada",
        "ada@example.org",
    )
    assert (ticket.max_entries, ticket.reentry, ticket.order_ref) == (1, False, "")
    records = [msgspec.convert(scan, ScanRecord) for scan in scans]
    assert [r.scan_id for r in records] == scan_ids
    assert {(r.direction, r.zone, r.manual, r.note, r.staff) for r in records} == {
        (Direction.ENTRY, "", False, None, "")
    }
    [conflict] = conflicts["conflicts"]
    assert conflict["conflicting"]["scan_id"] == scan_ids[1]


# SQLite cannot reflect an index on an expression; PostgreSQL's run compares it.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_newest_schema_is_exactly_what_the_models_describe(empty_database_url: str) -> None:
    load_models()
    engine = make_engine(empty_database_url)
    upgrade(engine)
    with engine.connect() as connection:
        # Server defaults are left out: Alembic misreads SQLite's empty-string defaults. The
        # upgrade test above shows the defaults at work on rows written before.
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()

    assert differences == []


def test_the_newest_migration_can_be_undone_and_done_again(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    _migrate(engine, "upgrade", PREVIOUS)
    api_key = new_api_key()
    _fill_previous_schema(engine, api_key)

    upgrade(engine)
    _migrate(engine, "downgrade", PREVIOUS)
    assert pending(engine)
    upgrade(engine)

    with engine.connect() as connection:
        kept = connection.execute(text("SELECT count(*) FROM scans")).scalar_one()
    engine.dispose()
    assert kept == 2
