from __future__ import annotations

import time

import httpx
import msgspec
import pytest

from shared.clock import Hlc
from shared.keys import Keyring, VerifyKey
from shared.messages import (
    Direction,
    ManifestPage,
    ScanAck,
    ScanBatch,
    ScanFeed,
    decode,
    encode,
)
from shared.reasons import Reason
from shared.rules import GatePolicy, TicketInfo, judge
from tests.venue.conftest import EVENT_ID, Issuer, Venue, scan
from venue_server.cloud_sync import apply_manifest_page

# -- device authentication -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/manifest"), ("GET", "/api/v1/scans"), ("POST", "/api/v1/scans")],
)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-real-token", "Basic abc", "Bearer"])
def test_scanner_endpoints_refuse_missing_or_unknown_tokens(
    venue: Venue, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with venue.client() as http:
        answer = http.request(method, path, headers=headers, content=b'{"v":1,"scans":[]}')

    assert answer.status_code == 401
    assert answer.json()["status_code"] == 401
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_revoked_device_is_refused_on_its_next_request(venue: Venue) -> None:
    device = venue.pair()
    other = venue.pair("Tablet 2")
    with venue.client(device.device_token) as http:
        assert http.get("/api/v1/scans").status_code == 200

        assert venue.store.revoke_device(device.device_id, int(time.time()))

        answer = http.get("/api/v1/scans")
    assert answer.status_code == 401
    assert "revoked" in answer.json()["detail"]
    with venue.client(other.device_token) as http:
        assert http.get("/api/v1/scans").status_code == 200


# -- manifest relay --------------------------------------------------------------------------


def _pull_all(
    http: httpx.Client, cursor: str = "", limit: int = 2
) -> tuple[list[ManifestPage], str]:
    pages = []
    while True:
        answer = http.get("/api/v1/manifest", params={"cursor": cursor, "limit": limit})
        assert answer.status_code == 200, answer.text
        page = decode(answer.content, ManifestPage)
        pages.append(page)
        cursor = page.next_cursor
        if not page.has_more:
            return pages, cursor


def test_scanners_page_through_the_manifest_with_a_cursor(venue: Venue, issuer: Issuer) -> None:
    entries = [issuer.issue()[1] for _ in range(5)]
    apply_manifest_page(venue.store, issuer.page(entries[:3], "c1", has_more=True))
    apply_manifest_page(venue.store, issuer.page(entries[3:], "c2"))
    device = venue.pair()

    with venue.client(device.device_token) as http:
        pages, cursor = _pull_all(http)
        again, _ = _pull_all(http, cursor)

    assert [len(p.tickets) for p in pages] == [2, 2, 1]
    assert [p.remaining for p in pages] == [3, 1, 0]
    assert [t.ticket_id for p in pages for t in p.tickets] == [e.ticket_id for e in entries]
    assert all(p.events == [issuer.event_entry] for p in pages)
    assert all(p.keys == [issuer.key_entry] for p in pages)
    assert again[0].tickets == [] and not again[0].has_more


def test_a_revocation_reaches_scanners_on_their_next_pull(venue: Venue, issuer: Issuer) -> None:
    token, entry = issuer.issue()
    _, other = issuer.issue()
    apply_manifest_page(venue.store, issuer.page([entry, other], "c1"))
    device = venue.pair()
    with venue.client(device.device_token) as http:
        _, cursor = _pull_all(http)

        revoked = msgspec.structs.replace(entry, revoked=True)
        apply_manifest_page(venue.store, issuer.page([revoked], "c2"))
        pages, _ = _pull_all(http, cursor)

    delta = [t for p in pages for t in p.tickets]
    assert delta == [revoked]
    # What the gate does with it: the same shared rules now refuse the ticket.
    keyring = Keyring(VerifyKey.from_entry(k) for k in pages[0].keys)
    info = TicketInfo(revoked=delta[0].revoked)
    verdict = judge(
        token,
        keyring,
        lambda _: (info, []),
        GatePolicy(frozenset({EVENT_ID})),
        int(time.time()),
    )
    assert verdict.reason is Reason.REVOKED


def test_an_unchanged_ticket_from_the_cloud_is_not_sent_to_scanners_again(
    venue: Venue, issuer: Issuer
) -> None:
    _, entry = issuer.issue()
    apply_manifest_page(venue.store, issuer.page([entry], "c1"))
    device = venue.pair()
    with venue.client(device.device_token) as http:
        _, cursor = _pull_all(http)
        apply_manifest_page(venue.store, issuer.page([entry], "c2"))
        pages, _ = _pull_all(http, cursor)

    assert pages[0].tickets == []


@pytest.mark.parametrize("query", ["cursor=abc", "cursor=-1", "limit=0", "limit=5000"])
def test_a_bad_cursor_or_limit_gets_400(venue: Venue, query: str) -> None:
    device = venue.pair()
    with venue.client(device.device_token) as http:
        for path in ("/api/v1/manifest", "/api/v1/scans"):
            answer = http.get(f"{path}?{query}")
            assert answer.status_code == 400, (path, answer.text)
            assert answer.json()["status_code"] == 400


# -- scan upload and feed --------------------------------------------------------------------


def _upload(http: httpx.Client, body: bytes) -> httpx.Response:
    return http.post("/api/v1/scans", content=body, headers={"Content-Type": "application/json"})


def test_a_replayed_batch_is_acked_whole_and_stored_once(venue: Venue) -> None:
    device = venue.pair()
    records = [scan(device), scan(device, Reason.FORGED, event_id=None)]
    body = encode(ScanBatch(scans=records))
    ids = [r.scan_id for r in records]

    with venue.client(device.device_token) as http:
        first = decode(_upload(http, body).content, ScanAck)
        replay = _upload(http, body)
        feed = decode(http.get("/api/v1/scans").content, ScanFeed)

    assert replay.status_code == 200
    second = decode(replay.content, ScanAck)
    assert (first.stored, first.duplicates, first.acked) == (2, 0, ids)
    assert (second.stored, second.duplicates, second.acked) == (0, 2, ids)
    assert feed.scans == records
    assert venue.store.scan_counts() == (2, 2)


@pytest.mark.parametrize(
    "breakage",
    [
        lambda good: good[:-5],
        lambda good: good.replace(b'"v":1', b'"v":9'),
        lambda good: good.replace(b'"reason":"admitted"', b'"reason":"vip"', 1),
        lambda good: good.replace(b'"scan_id":"', b'"scan_id":"x', 1),
    ],
    ids=["truncated", "future-version", "unknown-reason", "bad-scan-id"],
)
def test_a_broken_batch_gets_400_and_stores_nothing(venue: Venue, breakage: object) -> None:
    device = venue.pair()
    good = encode(ScanBatch(scans=[scan(device), scan(device), scan(device)]))
    body = breakage(good)  # type: ignore[operator]
    assert body != good

    with venue.client(device.device_token) as http:
        answer = _upload(http, body)
        feed = decode(http.get("/api/v1/scans").content, ScanFeed)

    assert answer.status_code == 400
    assert "ScanBatch" in answer.json()["detail"]
    assert feed.scans == []


def test_a_device_cannot_upload_another_devices_scans(venue: Venue) -> None:
    device = venue.pair()
    other = venue.pair("Tablet 2")
    body = encode(ScanBatch(scans=[scan(device), scan(other)]))

    with venue.client(device.device_token) as http:
        answer = _upload(http, body)

    assert answer.status_code == 403
    assert other.device_id in answer.json()["detail"]
    assert venue.store.scan_counts() == (0, 0)


def test_the_scan_feed_shows_every_gates_scans_in_arrival_order(venue: Venue) -> None:
    north = venue.pair("North 1", gate="North")
    south = venue.pair("South 1", gate="South")
    north_scans = [scan(north) for _ in range(3)]
    south_scans = [scan(south, Reason.ALREADY_ADMITTED)]

    with venue.client(north.device_token) as http:
        _upload(http, encode(ScanBatch(scans=north_scans[:2])))
    with venue.client(south.device_token) as http:
        _upload(http, encode(ScanBatch(scans=south_scans)))
    with venue.client(north.device_token) as http:
        _upload(http, encode(ScanBatch(scans=north_scans[2:])))

    with venue.client(south.device_token) as http:
        first = decode(http.get("/api/v1/scans", params={"limit": 3}).content, ScanFeed)
        rest = decode(
            http.get("/api/v1/scans", params={"cursor": first.next_cursor}).content, ScanFeed
        )
        later = decode(
            http.get("/api/v1/scans", params={"cursor": rest.next_cursor}).content, ScanFeed
        )

    assert first.has_more and not rest.has_more
    assert first.scans + rest.scans == [*north_scans[:2], *south_scans, north_scans[2]]
    assert later.scans == [] and later.next_cursor == rest.next_cursor


def test_gates_get_entry_limits_and_see_each_others_exits_and_manual_admissions(
    venue: Venue, issuer: Issuer
) -> None:
    token, entry = issuer.issue()
    weekend = msgspec.structs.replace(
        entry,
        type_name="Weekend pass",
        holder_email="ada@example.org",
        order_ref="SHOP-7",
        max_entries=2,
        reentry=True,
    )
    apply_manifest_page(venue.store, issuer.page([weekend], "c1"))
    exit_gate = venue.pair("Exit 1", gate="Exit")
    entry_gate = venue.pair("North 1", gate="North")
    went_in = msgspec.structs.replace(
        scan(entry_gate, ticket_id=weekend.ticket_id), manual=True, note="QR cracked", staff="Iva"
    )
    went_out = msgspec.structs.replace(
        scan(exit_gate, Reason.EXITED, ticket_id=weekend.ticket_id),
        direction=Direction.EXIT,
        zone="Main floor",
        # A second later, also when both gates' clocks read the same millisecond.
        hlc=Hlc(Hlc.parse(went_in.hlc).wall_ms + 1000, 0, exit_gate.device_id).encode(),
    )

    with venue.client(entry_gate.device_token) as http:
        [page], _ = _pull_all(http, limit=10)
        _upload(http, encode(ScanBatch(scans=[went_in])))
    with venue.client(exit_gate.device_token) as http:
        _upload(http, encode(ScanBatch(scans=[went_out])))
    with venue.client(entry_gate.device_token) as http:
        feed = decode(http.get("/api/v1/scans").content, ScanFeed)

    assert page.tickets == [weekend]
    assert feed.scans == [went_in, went_out]
    # What the entry gate makes of it: the holder went out, so coming back is a free re-entry.
    keyring = Keyring(VerifyKey.from_entry(k) for k in page.keys)
    verdict = judge(
        token,
        keyring,
        lambda _: (TicketInfo.of(page.tickets[0]), feed.scans),
        GatePolicy(frozenset({EVENT_ID})),
        int(time.time()),
    )
    assert (verdict.reason, verdict.reentry) == (Reason.ADMITTED, True)


# -- operations ------------------------------------------------------------------------------


def test_health_reports_an_unpaired_venue_and_its_counts(venue: Venue) -> None:
    device = venue.pair()
    with venue.client(device.device_token) as http:
        _upload(http, encode(ScanBatch(scans=[scan(device)])))
        health = http.get("/health").json()

    assert health["status"] == "ok"
    assert health["paired"] is False
    assert (health["devices"], health["scans"], health["scans_pending_upload"]) == (1, 1, 1)
    assert health["cloud"]["last_success_at"] is None


def test_metrics_count_admitted_and_rejected_scans_but_not_replays(venue: Venue) -> None:
    device = venue.pair()
    batch = encode(ScanBatch(scans=[scan(device), scan(device), scan(device, Reason.REVOKED)]))
    with venue.client(device.device_token) as http:
        _upload(http, batch)
        _upload(http, batch)
        answer = http.get("/metrics")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert "bilten_venue_scans_received_total 3.0" in text
    assert 'bilten_venue_scans_admitted_total{gate="North"} 2.0' in text
    assert 'bilten_venue_scans_rejected_total{gate="North",reason="revoked"} 1.0' in text
    assert "bilten_venue_scan_duplicates_total 3.0" in text
    assert "bilten_venue_scans_pending_upload 3.0" in text
    assert "bilten_venue_cloud_sync_age_seconds NaN" in text
    # Not uploaded yet: the oldest arrived a moment ago, so the upload lag is small but real.
    lag = _sample(text, "bilten_venue_scan_upload_lag_seconds")
    assert 0 < lag < 3600
    # The uploads' latency, by route: the device token in the request appears nowhere.
    assert (
        'bilten_venue_request_duration_seconds_count{method="POST",path="/api/v1/scans",'
        'status_code="200"} 2.0'
    ) in text
    assert device.device_token not in text


def _sample(text: str, name: str) -> float:
    for line in text.splitlines():
        metric, _, value = line.partition(" ")
        if metric == name:
            return float(value)
    raise AssertionError(f"{name} not in /metrics")


def test_liveness_and_readiness_of_an_offline_venue(venue: Venue) -> None:
    with venue.client() as http:
        live = http.get("/health/live")
        ready = http.get("/health/ready")

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    # Not paired with a cloud, never synced: still ready, gates are served from the store.
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "store": "ok",
        "cloud": {"state": "unpaired", "last_sync_age_seconds": None, "failures": 0},
    }


def test_readiness_fails_when_the_store_cannot_be_read(venue: Venue) -> None:
    venue.store.close()
    with venue.client() as http:
        live = http.get("/health/live")
        ready = http.get("/health/ready")

    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["store"] == "ProgrammingError"


def test_openapi_schema_describes_the_scanner_api(venue: Venue) -> None:
    with venue.client() as http:
        page = http.get("/schema")
        document = http.get("/schema/openapi.json").json()

    assert page.status_code == 200
    assert {"/api/v1/pair", "/api/v1/manifest", "/api/v1/scans", "/health"} <= set(
        document["paths"]
    )
    assert "ManifestPage" in str(document["components"])
