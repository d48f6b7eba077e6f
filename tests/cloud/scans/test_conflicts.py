from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from cloud.app import create_app
from cloud.db import make_engine, make_session_factory
from cloud.scans.conflicts import detect_conflicts
from cloud.settings import CloudSettings
from shared.messages import Direction, ScanBatch, encode
from shared.reasons import Reason
from tests.cloud.conftest import Api, Setup
from tests.cloud.sync.test_scan_upload import scan, upload


def test_worker_flags_every_admission_but_the_first(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    setup = api.setup()
    twice, once = api.issue(setup.organizer, setup.event_id, setup.type_id, count=2)
    # Two partitioned gates both admitted `twice`; South's clock says it came first.
    north = scan(setup.event_id, twice["ticket_id"], gate="North", device="dN", wall_ms=2_000)
    south = scan(setup.event_id, twice["ticket_id"], gate="South", device="dS", wall_ms=1_000)
    repeat = scan(
        setup.event_id,
        twice["ticket_id"],
        device="dN",
        wall_ms=3_000,
        reason=Reason.ALREADY_ADMITTED,
    )
    single = scan(setup.event_id, once["ticket_id"])
    upload(client, setup, encode(ScanBatch(scans=[north, repeat, single])))
    upload(client, setup, encode(ScanBatch(scans=[south])))
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)

    added = detect_conflicts(sessions)
    again = detect_conflicts(sessions)
    engine.dispose()

    assert (added, again) == (1, 0)
    r = client.get(f"/api/v1/events/{setup.event_id}/conflicts", headers=setup.organizer.headers)
    [conflict] = r.json()["conflicts"]
    assert conflict["ticket_id"] == twice["ticket_id"]
    assert (conflict["admitted"]["gate"], conflict["admitted"]["device_id"]) == ("South", "dS")
    assert conflict["admitted"]["scanned_at_ms"] == 1_000
    assert (conflict["conflicting"]["gate"], conflict["conflicting"]["device_id"]) == (
        "North",
        "dN",
    )
    assert conflict["conflicting"]["scan_id"] == north.scan_id


def test_a_late_earlier_admission_takes_over_as_the_winner(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    setup = api.setup()
    [ticket] = api.issue(setup.organizer, setup.event_id, setup.type_id)
    ref = ticket["ticket_id"]
    second = scan(setup.event_id, ref, gate="B", device="dB", wall_ms=2_000)
    third = scan(setup.event_id, ref, gate="C", device="dC", wall_ms=3_000)
    first = scan(setup.event_id, ref, gate="A", device="dA", wall_ms=1_000)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)

    upload(client, setup, encode(ScanBatch(scans=[second, third])))
    detect_conflicts(sessions)
    upload(client, setup, encode(ScanBatch(scans=[first])))
    detect_conflicts(sessions)
    engine.dispose()

    r = client.get(f"/api/v1/events/{setup.event_id}/conflicts", headers=setup.organizer.headers)
    pairs = {(c["admitted"]["gate"], c["conflicting"]["gate"]) for c in r.json()["conflicts"]}
    assert pairs == {("A", "B"), ("A", "C")}


def _limited_type(
    client: TestClient[Any], setup: Setup, max_entries: int = 1, reentry: bool = False
) -> int:
    r = client.post(
        f"/api/v1/events/{setup.event_id}/ticket-types",
        json={"name": "Pass", "capacity": 10, "max_entries": max_entries, "reentry": reentry},
        headers=setup.organizer.headers,
    )
    assert r.status_code == 201, r.text
    type_id: int = r.json()["type_id"]
    return type_id


def _conflicts(client: TestClient[Any], setup: Setup) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/events/{setup.event_id}/conflicts", headers=setup.organizer.headers)
    assert r.status_code == 200, r.text
    conflicts: list[dict[str, Any]] = r.json()["conflicts"]
    return conflicts


def _detect(settings: CloudSettings) -> int:
    engine = make_engine(settings.database_url)
    try:
        return detect_conflicts(make_session_factory(engine))
    finally:
        engine.dispose()


def _exit(event_id: int, ref: str, wall_ms: int, device: str = "dX") -> Any:
    return scan(
        event_id,
        ref,
        gate="Exit",
        device=device,
        wall_ms=wall_ms,
        reason=Reason.EXITED,
        direction=Direction.EXIT,
    )


def test_a_multi_entry_ticket_is_flagged_only_past_its_limit(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    setup = api.setup()
    [ticket] = api.issue(setup.organizer, setup.event_id, _limited_type(client, setup, 3))
    ref = ticket["ticket_id"]
    admissions = [
        scan(setup.event_id, ref, gate=gate, device=f"d{gate}", wall_ms=ms)
        for gate, ms in [("A", 1_000), ("B", 2_000), ("C", 3_000), ("D", 4_000)]
    ]
    upload(client, setup, encode(ScanBatch(scans=admissions[:3])))

    assert _detect(settings) == 0  # three entries of a three-entry ticket are all legal
    upload(client, setup, encode(ScanBatch(scans=admissions[3:])))
    assert _detect(settings) == 1

    [conflict] = _conflicts(client, setup)
    assert conflict["conflicting"]["scan_id"] == admissions[3].scan_id
    assert conflict["admitted"]["scan_id"] == admissions[0].scan_id


def test_a_reentry_after_an_exit_is_legal_but_a_second_entry_without_one_is_not(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    setup = api.setup()
    went_out, stayed_in = api.issue(
        setup.organizer, setup.event_id, _limited_type(client, setup, reentry=True), count=2
    )
    back = scan(setup.event_id, went_out["ticket_id"], gate="B", device="dB", wall_ms=3_000)
    twice = scan(setup.event_id, stayed_in["ticket_id"], gate="B", device="dB", wall_ms=3_000)
    batch = [
        scan(setup.event_id, went_out["ticket_id"], gate="A", device="dA", wall_ms=1_000),
        _exit(setup.event_id, went_out["ticket_id"], 2_000),
        back,
        scan(setup.event_id, stayed_in["ticket_id"], gate="A", device="dA", wall_ms=1_000),
        twice,
    ]
    upload(client, setup, encode(ScanBatch(scans=batch)))

    assert _detect(settings) == 1
    [conflict] = _conflicts(client, setup)
    assert conflict["ticket_id"] == stayed_in["ticket_id"]
    assert conflict["conflicting"]["scan_id"] == twice.scan_id


def test_an_exit_uploaded_late_clears_the_conflict_it_explains(
    api: Api, client: TestClient[Any], settings: CloudSettings
) -> None:
    setup = api.setup()
    [ticket] = api.issue(
        setup.organizer, setup.event_id, _limited_type(client, setup, reentry=True)
    )
    ref = ticket["ticket_id"]
    upload(
        client,
        setup,
        encode(
            ScanBatch(
                scans=[
                    scan(setup.event_id, ref, gate="A", device="dA", wall_ms=1_000),
                    scan(setup.event_id, ref, gate="B", device="dB", wall_ms=3_000),
                ]
            )
        ),
    )
    assert _detect(settings) == 1

    # The exit gate was cut off; its scan shows the holder went out in between.
    upload(client, setup, encode(ScanBatch(scans=[_exit(setup.event_id, ref, 2_000)])))
    _detect(settings)

    assert _conflicts(client, setup) == []


def test_worker_command_runs_the_job_as_its_own_process(tmp_path: Path) -> None:
    settings = CloudSettings.embedded(tmp_path)
    bilten = str(Path(sys.executable).with_name("bilten"))
    migrated = subprocess.run(
        [bilten, "cloud", "migrate", "--data", str(tmp_path)],
        check=False,
        capture_output=True,
        timeout=60,
    )
    assert migrated.returncode == 0, migrated.stderr
    with TestClient(create_app(settings)) as client:
        api = Api(client)
        setup = api.setup()
        [ticket] = api.issue(setup.organizer, setup.event_id, setup.type_id)
        upload(
            client,
            setup,
            encode(
                ScanBatch(
                    scans=[
                        scan(setup.event_id, ticket["ticket_id"], device="d1", wall_ms=1),
                        scan(setup.event_id, ticket["ticket_id"], device="d2", wall_ms=2),
                    ]
                )
            ),
        )

        done = subprocess.run(
            [bilten, "cloud", "worker", "--once", "--data", str(tmp_path)],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )

        assert done.returncode == 0, done.stderr
        assert "flagged 1 conflicting admissions" in done.stderr
        r = client.get(
            f"/api/v1/events/{setup.event_id}/conflicts", headers=setup.organizer.headers
        )
        assert [c["conflicting"]["device_id"] for c in r.json()["conflicts"]] == ["d2"]
