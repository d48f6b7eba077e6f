from __future__ import annotations

import time

import httpx
import pytest

from shared.messages import PairResponse, decode
from shared.pairing import parse_payload
from tests.venue.conftest import Venue
from venue_server.pairing import issue_pairing_code, pairing_qr_svg


def _post_pair(venue: Venue, code: str, name: str = "Tablet 1") -> httpx.Response:
    with venue.client() as http:
        return http.post("/api/v1/pair", json={"v": 1, "code": code, "device_name": name})


def _pair(venue: Venue, code: str, name: str = "Tablet 1") -> tuple[int, dict[str, object]]:
    answer = _post_pair(venue, code, name)
    return answer.status_code, answer.json()


def test_a_code_pairs_one_scanner_with_its_gate_and_a_working_token(venue: Venue) -> None:
    code = venue.code(gate="South")

    answer = _post_pair(venue, code)

    assert answer.status_code == 200
    paired = decode(answer.content, PairResponse)
    assert paired.gate == "South"
    with venue.client(paired.device_token) as http:
        assert http.get("/api/v1/manifest").status_code == 200


def test_a_code_typed_in_lower_case_without_the_dash_still_pairs(venue: Venue) -> None:
    code = venue.code()

    status, _ = _pair(venue, code.replace("-", "").lower())

    assert status == 200


def test_a_used_code_is_refused_the_second_time(venue: Venue) -> None:
    code = venue.code()
    assert _pair(venue, code, "first")[0] == 200

    status, body = _pair(venue, code, "second")

    assert status == 403
    assert "already been used" in str(body["detail"])
    assert [d.name for d in venue.store.devices()] == ["first"]


def test_an_expired_code_is_refused(venue: Venue) -> None:
    issued_long_ago = int(time.time()) - 3600
    code = issue_pairing_code(venue.store, "North", 900, issued_long_ago)

    status, body = _pair(venue, code)

    assert status == 403
    assert "expired" in str(body["detail"])
    assert venue.store.devices() == []


def test_an_unknown_code_is_refused(venue: Venue) -> None:
    status, body = _pair(venue, "ZZZZ-ZZZZ")

    assert status == 403
    assert body == {"status_code": 403, "detail": "unknown pairing code"}


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"v": 1, "code": "ABCD-EFGH"}',
        b'{"v": 2, "code": "ABCD-EFGH", "device_name": "x"}',
        b'{"v": 1, "code": "ABCD-EFGH", "device_name": "x", "admin": true}',
        b'{"v": 1, "code": "AB", "device_name": "x"}',
    ],
)
def test_a_malformed_pair_request_gets_400_and_uses_no_code(venue: Venue, body: bytes) -> None:
    code = venue.code()
    with venue.client() as http:
        answer = http.post(
            "/api/v1/pair",
            content=body.replace(b"ABCD-EFGH", code.encode()),
            headers={"Content-Type": "application/json"},
        )

    assert answer.status_code == 400
    assert answer.json()["status_code"] == 400
    assert answer.json()["detail"]
    assert _pair(venue, code)[0] == 200


def test_the_pairing_qr_for_a_page_is_svg_text() -> None:
    svg = pairing_qr_svg("http://192.168.1.20:8100", "ABCD-EFGH")

    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_a_code_as_it_travels_in_the_qr_pairs(venue: Venue) -> None:
    target = parse_payload(f"bilten-pair:{venue.url}#{venue.code().lower()}")

    status, _ = _pair(venue, target.code)

    assert status == 200
