from __future__ import annotations

from typing import Any

import msgspec
from litestar.testing import TestClient

from shared.clock import Hlc
from shared.ids import new_scan_id
from shared.messages import Direction, ScanAck, ScanBatch, ScanRecord, decode, encode
from shared.reasons import Reason
from tests.cloud.conftest import Api, Setup


def scan(
    event_id: int | None,
    ticket_ref: str | None,
    *,
    gate: str = "North",
    device: str = "dA",
    wall_ms: int = 1_900_000_000_000,
    reason: Reason = Reason.ADMITTED,
    **details: Any,
) -> ScanRecord:
    """A scan as a gate makes it; ``details`` sets direction, zone, manual, note, staff."""
    return ScanRecord(
        scan_id=new_scan_id(),
        device_id=device,
        device_name=f"Scanner {device}",
        gate=gate,
        hlc=Hlc(wall_ms, 0, device).encode(),
        scanned_at_ms=wall_ms,
        reason=reason,
        event_id=event_id,
        ticket_id=ticket_ref,
        **details,
    )


def upload(client: TestClient[Any], setup: Setup, body: bytes) -> Any:
    return client.post("/api/v1/venue/scans", content=body, headers=setup.venue_headers)


def stored_scans(client: TestClient[Any], setup: Setup) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/events/{setup.event_id}/scans", headers=setup.organizer.headers)
    assert r.status_code == 200
    scans: list[dict[str, Any]] = r.json()["scans"]
    return scans


def test_upload_is_idempotent_and_acks_every_id(api: Api, client: TestClient[Any]) -> None:
    setup = api.setup()
    [ticket] = api.issue(setup.organizer, setup.event_id, setup.type_id)
    batch = ScanBatch(
        scans=[
            scan(setup.event_id, ticket["ticket_id"]),
            scan(setup.event_id, ticket["ticket_id"], reason=Reason.ALREADY_ADMITTED),
            scan(None, None, reason=Reason.UNREADABLE),
        ]
    )

    first = upload(client, setup, encode(batch))
    replay = upload(client, setup, encode(batch))
    bigger = ScanBatch(scans=[*batch.scans, scan(setup.event_id, ticket["ticket_id"], gate="S")])
    third = upload(client, setup, encode(bigger))

    ids = [s.scan_id for s in batch.scans]
    assert first.status_code == replay.status_code == third.status_code == 200
    assert decode(first.content, ScanAck) == ScanAck(stored=3, duplicates=0, acked=ids)
    assert decode(replay.content, ScanAck) == ScanAck(stored=0, duplicates=3, acked=ids)
    assert decode(third.content, ScanAck).stored == 1
    scans = stored_scans(client, setup)
    assert len(scans) == 3  # the unreadable one belongs to no event
    assert {s["scan_id"] for s in scans} == {ids[0], ids[1], bigger.scans[-1].scan_id}
    kept = next(s for s in scans if s["scan_id"] == ids[0])
    assert msgspec.convert(kept, ScanRecord) == batch.scans[0]


def test_broken_batches_get_a_clear_400_and_store_nothing(
    api: Api, client: TestClient[Any]
) -> None:
    setup = api.setup()
    good = encode(ScanBatch(scans=[scan(setup.event_id, None)]))
    wrong_version = good.replace(b'"v":1', b'"v":9')
    bad_ref = encode(ScanBatch(scans=[scan(setup.event_id, None)])).replace(
        b'"ticket_id":null', b'"ticket_id":"lowercase-not-a-ref"'
    )
    half = good[: len(good) // 2]
    stray = good.replace(b'"gate"', b'"admin":true,"gate"')

    for body, words in [
        (half, "not valid JSON"),
        (wrong_version, "version 9"),
        (bad_ref, "ticket_id"),
        (stray, "admin"),
        (b"", "ScanBatch"),
    ]:
        r = upload(client, setup, body)
        assert r.status_code == 400, body
        assert words in r.json()["detail"], r.json()
    assert stored_scans(client, setup) == []


def test_a_scan_naming_another_venues_event_is_kept_but_never_filed_under_it(
    api: Api, client: TestClient[Any]
) -> None:
    setup = api.setup()
    elsewhere = api.setup()  # another organizer, another venue and event
    mixed = ScanBatch(scans=[scan(setup.event_id, None), scan(elsewhere.event_id, None)])

    r = upload(client, setup, encode(mixed))

    assert r.status_code in (200, 201), r.text
    assert r.json()["stored"] == 2  # nothing lost, and later uploads are not blocked
    assert len(stored_scans(client, setup)) == 1
    assert stored_scans(client, elsewhere) == []  # one venue cannot write into another's event


def test_gate_direction_zone_and_staff_notes_come_back_as_uploaded(
    api: Api, client: TestClient[Any]
) -> None:
    setup = api.setup()
    [ticket] = api.issue(setup.organizer, setup.event_id, setup.type_id)
    ref = ticket["ticket_id"]
    batch = ScanBatch(
        scans=[
            scan(setup.event_id, ref, wall_ms=1_000, zone="Main floor", staff="Iva"),
            scan(
                setup.event_id,
                ref,
                wall_ms=2_000,
                reason=Reason.EXITED,
                direction=Direction.EXIT,
                zone="Main floor",
                staff="Iva",
            ),
            scan(
                setup.event_id,
                ref,
                wall_ms=3_000,
                manual=True,
                note="Phone battery dead; matched her ID to the order",
                staff="Marko",
            ),
        ]
    )

    assert upload(client, setup, encode(batch)).status_code == 200

    returned = [msgspec.convert(s, ScanRecord) for s in stored_scans(client, setup)]
    assert returned == list(batch.scans)
    assert [(s.direction, s.manual) for s in returned] == [
        (Direction.ENTRY, False),
        (Direction.EXIT, False),
        (Direction.ENTRY, True),
    ]
