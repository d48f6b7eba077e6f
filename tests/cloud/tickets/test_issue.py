from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from litestar.testing import TestClient
from sqlalchemy import select

from cloud.db import Base, load_models, make_engine
from cloud.events.models import SigningKey
from cloud.events.signing import KeyUnsealError, unseal
from cloud.settings import CloudSettings
from shared.errors import TokenRejected
from shared.keys import Keyring, VerifyKey
from shared.messages import KeyFile, decode
from shared.reasons import Reason
from shared.token import verify_token
from tests.cloud.conftest import Api


def _keyring(client: TestClient[Any], headers: dict[str, str], event_id: int) -> Keyring:
    r = client.get(f"/api/v1/events/{event_id}/keys", headers=headers)
    assert r.status_code == 200
    return Keyring(VerifyKey.from_entry(e) for e in decode(r.content, KeyFile).keys)


def test_issued_tokens_verify_with_the_published_keys(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    tickets = api.issue(
        setup.organizer,
        setup.event_id,
        setup.type_id,
        count=3,
        valid_from="2030-06-01T18:00:00Z",
        valid_until="2030-06-02T02:00:00Z",
    )
    keyring = _keyring(client, setup.organizer.headers, setup.event_id)

    assert len({t["ticket_id"] for t in tickets}) == 3
    for ticket in tickets:
        claims = verify_token(ticket["token"], keyring)
        assert claims.ticket_ref == ticket["ticket_id"]
        assert (claims.event_id, claims.key_id, claims.type_id) == (
            setup.event_id,
            setup.key_id,
            setup.type_id,
        )
        assert claims.valid_from == datetime(2030, 6, 1, 18, tzinfo=UTC).timestamp()
        assert claims.valid_until == datetime(2030, 6, 2, 2, tzinfo=UTC).timestamp()
        assert ticket["holder_name"] == "Ada"


def test_a_token_of_one_event_does_not_verify_under_another(
    api: Api, client: TestClient[Any]
) -> None:
    setup = api.setup()
    other_event = api.event(setup.organizer, setup.venue_id, "Other night")
    [ticket] = api.issue(setup.organizer, setup.event_id, setup.type_id)

    with pytest.raises(TokenRejected) as rejected:
        verify_token(
            ticket["token"], _keyring(client, setup.organizer.headers, other_event["event_id"])
        )
    assert rejected.value.reason is Reason.UNKNOWN_KEY


def test_capacity_is_never_exceeded(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    small = api.ticket_type(setup.organizer, setup.event_id, "Front row", capacity=3)
    api.issue(setup.organizer, setup.event_id, small, count=2)

    r = client.post(
        f"/api/v1/events/{setup.event_id}/tickets",
        json={"type_id": small, "holder_name": "Late", "count": 2},
        headers=setup.organizer.headers,
    )

    assert r.status_code == 409
    assert "only 1" in r.json()["detail"]
    api.issue(setup.organizer, setup.event_id, small, count=1)
    manifest = client.get("/api/v1/venue/manifest", headers=setup.venue_headers).json()
    assert len(manifest["tickets"]) == 3


def test_issue_rejects_a_type_of_another_event(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    other = api.event(setup.organizer, setup.venue_id, "Other")
    r = client.post(
        f"/api/v1/events/{other['event_id']}/tickets",
        json={"type_id": setup.type_id, "holder_name": "X"},
        headers=setup.organizer.headers,
    )
    assert r.status_code == 404


def _all_stored_bytes(settings: CloudSettings) -> list[bytes]:
    load_models()
    engine = make_engine(settings.database_url)
    values: list[bytes] = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                for value in row:
                    if isinstance(value, bytes):
                        values.append(value)
                    elif value is not None:
                        values.append(str(value).encode())
    engine.dispose()
    if settings.is_embedded_database:
        db_file = Path(settings.database_url.removeprefix("sqlite:///"))
        values.extend(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
    return values


def test_private_keys_are_sealed_at_rest(api: Api, settings: CloudSettings) -> None:
    setup = api.setup()
    api.issue(setup.organizer, setup.event_id, setup.type_id)
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        row = conn.execute(select(SigningKey).where(SigningKey.id == setup.key_id)).one()
    engine.dispose()
    private = unseal(settings.master_key, row.id, row.sealed_private_key)
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    forms = [
        raw,
        raw.hex().encode(),
        base64.b64encode(raw).rstrip(b"="),
        base64.urlsafe_b64encode(raw).rstrip(b"="),
    ]

    for stored in _all_stored_bytes(settings):
        for form in forms:
            assert form not in stored

    with pytest.raises(KeyUnsealError):
        unseal(secrets.token_bytes(32), row.id, row.sealed_private_key)
    # The key id is bound in: a sealed key moved to another key id does not open.
    with pytest.raises(KeyUnsealError):
        unseal(settings.master_key, row.id + 1, row.sealed_private_key)


def test_holder_email_and_order_number_are_kept_with_the_tickets(
    api: Api, client: TestClient[Any]
) -> None:
    setup = api.setup()
    issued = api.issue(
        setup.organizer,
        setup.event_id,
        setup.type_id,
        count=2,
        holder_email="  ada@example.org ",
        order_ref=" SHOP-2030-0042 ",
    )
    [plain] = api.issue(setup.organizer, setup.event_id, setup.type_id, holder_email="")

    assert {(t["holder_email"], t["order_ref"]) for t in issued} == {
        ("ada@example.org", "SHOP-2030-0042")
    }
    assert (plain["holder_email"], plain["order_ref"]) == (None, None)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"order_ref": "X" * 65}, "order_ref"),
        ({"order_ref": "A\nB"}, "order_ref"),
        ({"holder_email": "not an address"}, "holder_email"),
        ({"holder_email": "ada@"}, "holder_email"),
    ],
)
def test_a_bad_order_number_or_email_is_refused_and_issues_nothing(
    api: Api, client: TestClient[Any], extra: dict[str, Any], words: str
) -> None:
    setup = api.setup()
    r = client.post(
        f"/api/v1/events/{setup.event_id}/tickets",
        json={"type_id": setup.type_id, "holder_name": "X", **extra},
        headers=setup.organizer.headers,
    )

    assert r.status_code == 400, r.text
    assert words in r.text
    manifest = client.get("/api/v1/venue/manifest", headers=setup.venue_headers).json()
    assert manifest["tickets"] == []
