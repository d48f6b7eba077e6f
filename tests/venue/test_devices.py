"""Scanners as the manager manages them: heartbeats, online state, names, gates, revocation,
pairing from the dashboard and the readiness board."""

from __future__ import annotations

import httpx

from shared.assignment import GATE_HEADER, NAME_HEADER, Assignment, assignment_from_headers
from shared.messages import PairResponse, decode
from shared.pairing import parse_payload
from tests.venue.conftest import Issuer
from tests.venue.dashboard_harness import (  # noqa: F401 - fixtures
    Dashboard,
    Manager,
    dashboard_fixture,
    manager_fixture,
)
from venue_server.cloud_sync import apply_manifest_page


def _heartbeat(dashboard: Dashboard, paired: PairResponse, **headers: str) -> httpx.Response:
    with dashboard.scanner(paired, **headers) as http:
        return http.get("/api/v1/scans")


def test_a_scanner_request_reports_its_clock_and_manifest_to_the_dashboard(
    dashboard: Dashboard, manager: Manager, issuer: Issuer
) -> None:
    tickets = [issuer.issue()[1] for _ in range(3)]
    apply_manifest_page(dashboard.store, issuer.page(tickets, "c1"))
    paired = dashboard.venue.pair("Tablet 1", gate="North")

    answer = _heartbeat(
        dashboard,
        paired,
        **{"X-Bilten-Device-Time": str(dashboard.clock.ms - 3_500), "X-Bilten-Manifest": "1"},
    )

    assert answer.status_code == 200
    device = manager.device(paired.device_id)
    assert device["clock_offset_ms"] == 3_500
    assert device["manifest_cursor"] == "1"
    assert device["tickets_behind"] == 2
    assert not device["ready"]
    assert [c["text"] for c in device["checks"] if not c["ok"]] == [
        "manifest 2 ticket change(s) behind",
        "clock 3.5 s slow",
    ]


def test_a_scanner_with_the_whole_manifest_and_a_right_clock_is_ready(
    dashboard: Dashboard, manager: Manager, issuer: Issuer
) -> None:
    apply_manifest_page(dashboard.store, issuer.page([issuer.issue()[1]], "c1"))
    paired = dashboard.venue.pair("Tablet 1")
    server_version = manager.overview()["manifest_version"]

    _heartbeat(
        dashboard,
        paired,
        **{
            "X-Bilten-Device-Time": str(dashboard.clock.ms + 800),
            "X-Bilten-Manifest": server_version,
        },
    )

    device = manager.device(paired.device_id)
    assert device["ready"], device["checks"]
    assert device["clock_offset_ms"] == -800
    assert [c["text"] for c in device["checks"]] == [
        "manifest up to date",
        "clock within 800 ms",
        "online",
    ]

    # A new ticket from the cloud makes the gate stale until it pulls again.
    apply_manifest_page(dashboard.store, issuer.page([issuer.issue()[1]], "c2"))
    assert not manager.device(paired.device_id)["ready"]


def test_malformed_heartbeat_headers_are_ignored_and_the_request_still_served(
    dashboard: Dashboard, manager: Manager
) -> None:
    paired = dashboard.venue.pair("Tablet 1")

    answer = _heartbeat(
        dashboard,
        paired,
        **{"X-Bilten-Device-Time": "yesterday", "X-Bilten-Manifest": "x" * 65},
    )

    assert answer.status_code == 200
    device = manager.device(paired.device_id)
    assert device["clock_offset_ms"] is None
    assert device["manifest_cursor"] is None
    assert "clock not reported yet" in [c["text"] for c in device["checks"]]


def test_a_device_goes_offline_when_silent_and_online_with_its_next_request(
    dashboard: Dashboard, manager: Manager
) -> None:
    paired = dashboard.venue.pair("Tablet 1")
    assert manager.device(paired.device_id)["online"]

    dashboard.clock.advance(31)
    offline = manager.device(paired.device_id)
    assert not offline["online"]
    assert "offline for 31 s" in [c["text"] for c in offline["checks"]]

    _heartbeat(dashboard, paired)
    back = manager.device(paired.device_id)
    assert back["online"]
    assert back["last_seen"] == int(dashboard.clock.now)


def test_the_manager_renames_a_device_and_moves_it_to_another_gate(
    dashboard: Dashboard, manager: Manager
) -> None:
    paired = dashboard.venue.pair("Tablet 1", gate="North")
    base = f"/dashboard/api/devices/{paired.device_id}"

    renamed = manager.post(f"{base}/name", {"name": "  North door   left "})
    moved = manager.post(f"{base}/gate", {"gate": "VIP"})

    assert renamed.status_code == 200
    assert moved.json() == {
        "device_id": paired.device_id,
        "name": "North door left",
        "gate": "VIP",
        "revoked": False,
    }
    device = manager.device(paired.device_id)
    assert (device["name"], device["gate"]) == ("North door left", "VIP")
    # The scanner's token is untouched by a new name or gate.
    assert _heartbeat(dashboard, paired).status_code == 200


def test_every_answer_tells_the_scanner_its_name_and_gate_as_the_manager_last_set_them(
    dashboard: Dashboard, manager: Manager
) -> None:
    paired = dashboard.venue.pair("Tablet 1", gate="North")

    before = _heartbeat(dashboard, paired)
    manager.post(f"/dashboard/api/devices/{paired.device_id}/gate", {"gate": "Süd / VIP"})
    manager.post(f"/dashboard/api/devices/{paired.device_id}/name", {"name": "Tür 2"})
    after = _heartbeat(dashboard, paired)
    with dashboard.scanner(paired) as http:
        manifest = http.get("/api/v1/manifest")

    assert assignment_from_headers(
        before.headers.get(NAME_HEADER), before.headers.get(GATE_HEADER)
    ) == Assignment("Tablet 1", "North")
    for answer in (after, manifest):
        assert answer.status_code == 200
        assert assignment_from_headers(
            answer.headers.get(NAME_HEADER), answer.headers.get(GATE_HEADER)
        ) == Assignment("Tür 2", "Süd / VIP")
    # Nothing is told to a request without a device behind it.
    with dashboard.scanner(paired) as http:
        refused = http.get("/api/v1/scans", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and GATE_HEADER not in refused.headers


def test_names_must_be_sensible_and_devices_known(dashboard: Dashboard, manager: Manager) -> None:
    paired = dashboard.venue.pair("Tablet 1")

    blank = manager.post(f"/dashboard/api/devices/{paired.device_id}/name", {"name": "   "})
    long = manager.post(f"/dashboard/api/devices/{paired.device_id}/gate", {"gate": "g" * 65})
    unknown = manager.post("/dashboard/api/devices/dnotpaired/name", {"name": "x"})

    assert (blank.status_code, long.status_code, unknown.status_code) == (400, 400, 404)
    assert "1 to 64 characters" in blank.json()["detail"]
    assert "dnotpaired" in unknown.json()["detail"]
    assert manager.device(paired.device_id)["name"] == "Tablet 1"


def test_a_revoked_device_is_refused_on_its_next_request_and_leaves_the_readiness_board(
    dashboard: Dashboard, manager: Manager
) -> None:
    lost = dashboard.venue.pair("Lost tablet")
    kept = dashboard.venue.pair("Tablet 2")
    assert _heartbeat(dashboard, lost).status_code == 200

    answer = manager.post(f"/dashboard/api/devices/{lost.device_id}/revoke")

    assert answer.status_code == 200
    assert answer.json()["revoked"]
    refused = _heartbeat(dashboard, lost)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    assert _heartbeat(dashboard, kept).status_code == 200
    device = manager.device(lost.device_id)
    assert device["revoked"]
    assert not device["online"]
    assert not device["ready"]
    # Revoking twice is harmless.
    assert manager.post(f"/dashboard/api/devices/{lost.device_id}/revoke").status_code == 200


def test_a_pairing_code_made_on_the_dashboard_pairs_a_scanner_at_its_gate(
    dashboard: Dashboard, manager: Manager
) -> None:
    made = manager.post("/dashboard/api/pairing-codes", {"gate": "South"})

    assert made.status_code == 201
    body = made.json()
    assert body["qr_svg_uri"].startswith("data:image/svg+xml")
    assert body["expires_at"] == int(dashboard.clock.now) + 15 * 60
    payload = parse_payload(body["payload"])
    assert payload.code == body["code"]
    # This test server listens on loopback only: the code says so rather than offer a LAN
    # address nothing answers on.
    assert payload.venue_url == dashboard.url
    assert not body["lan_reachable"]

    with httpx.Client(base_url=payload.venue_url, timeout=10) as http:
        answer = http.post(
            "/api/v1/pair", json={"v": 1, "code": payload.code, "device_name": "Tablet S"}
        )
    assert answer.status_code == 200
    paired = decode(answer.content, PairResponse)
    assert paired.gate == "South"
    device = manager.device(paired.device_id)
    assert (device["name"], device["gate"], device["online"]) == ("Tablet S", "South", True)


def test_a_pairing_code_needs_a_gate(manager: Manager) -> None:
    answer = manager.post("/dashboard/api/pairing-codes", {"gate": "  "})

    assert answer.status_code == 400
    assert "gate name" in answer.json()["detail"]


def test_a_dashboard_reached_by_its_lan_address_puts_that_address_in_the_qr(
    manager: Manager,
) -> None:
    made = manager.http.post(
        "/dashboard/api/pairing-codes",
        json={"gate": "North"},
        headers={"X-CSRF-Token": manager.csrf, "Host": "192.168.1.20:8100"},
    )

    assert made.status_code == 201
    body = made.json()
    assert parse_payload(body["payload"]).venue_url == "http://192.168.1.20:8100"
    assert body["lan_reachable"]
