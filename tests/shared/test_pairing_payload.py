from __future__ import annotations

import pytest

from shared.errors import BiltenError, PairingPayloadError
from shared.pairing import (
    CODE_ALPHABET,
    MAX_PAYLOAD_LENGTH,
    PairingPayload,
    build_payload,
    check_code,
    check_venue_url,
    looks_like_payload,
    normalize_code,
    parse_payload,
    venue_url_from_input,
)


def test_a_payload_round_trips_with_the_url_and_code_in_their_printed_form() -> None:
    payload = build_payload("HTTP://192.168.1.20:8100/", "k7pm 3qxa")

    assert payload == "bilten-pair:http://192.168.1.20:8100#K7PM-3QXA"
    assert parse_payload(payload) == PairingPayload("http://192.168.1.20:8100", "K7PM-3QXA")


@pytest.mark.parametrize(
    "scanned",
    [
        "bilten-pair:http://192.168.1.20:8100#K7PM-3QXA\n",  # a wedge scanner's Enter
        "  BILTEN-PAIR:http://192.168.1.20:8100#k7pm3qxa",  # Caps Lock on the wedge
        "bilten-pair:http://192.168.1.20:8100/#K7PM-3QXA",
    ],
)
def test_what_a_scanner_or_a_person_adds_around_a_payload_is_forgiven(scanned: str) -> None:
    assert parse_payload(scanned) == PairingPayload("http://192.168.1.20:8100", "K7PM-3QXA")


def test_https_hosts_names_ipv6_and_a_path_prefix_are_venue_urls() -> None:
    for url in (
        "https://venue.example.org",
        "http://gate-hub.local:8100",
        "http://[fd00::2]:8100",
        "https://example.org/bilten",
    ):
        assert parse_payload(build_payload(url, "ABCD-EFGH")).venue_url == url


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ("https://example.com", "payload", "not a Bilten pairing code"),
        ("", "payload", "not a Bilten pairing code"),
        ("bilten-pair:http://10.0.0.2:8100", "payload", "no code"),
        ("bilten-pair:ftp://10.0.0.2#ABCD-EFGH", "url", "http:// or https://"),
        ("bilten-pair:javascript:alert(1)#ABCD-EFGH", "url", "http:// or https://"),
        ("bilten-pair:10.0.0.2:8100#ABCD-EFGH", "url", "http:// or https://"),
        ("bilten-pair:http://#ABCD-EFGH", "url", "no host"),
        ("bilten-pair:http://:8100#ABCD-EFGH", "url", "no host"),
        ("bilten-pair:http://10.0.0.2:99999#ABCD-EFGH", "url", "not a web address"),
        ("bilten-pair:http://10.0.0.2:port#ABCD-EFGH", "url", "not a web address"),
        ("bilten-pair:http://admin:pw@10.0.0.2#ABCD-EFGH", "url", "password"),
        ("bilten-pair:http://10.0.0.2?next=x#ABCD-EFGH", "url", "?"),
        ("bilten-pair:http://10.0.0.2#frag#ABCD-EFGH", "url", "#"),
        ("bilten-pair:http://10.0 .0.2#ABCD-EFGH", "url", "spaces"),
        ("bilten-pair:http://10.0.0.2\x00#ABCD-EFGH", "url", "spaces"),
        ("bilten-pair:http://10.0.0.2#", "code", "empty"),
        ("bilten-pair:http://10.0.0.2#ABCD-EFG", "code", "8 letters and digits"),
        ("bilten-pair:http://10.0.0.2#ABCD-EFGHJ", "code", "8 letters and digits"),
        ("bilten-pair:http://10.0.0.2#ABCD-EF0I", "code", "0, I never appear"),
        ("bilten-pair:http://10.0.0.2#ABCD-EF\u00c9H", "code", "8 letters and digits"),
        ("bilten-pair:http://" + "a" * 600 + "#ABCD-EFGH", "payload", "too long"),
    ],
)
def test_a_malformed_payload_is_refused_saying_which_part_is_wrong(
    payload: str, field: str, words: str
) -> None:
    with pytest.raises(PairingPayloadError) as refused:
        parse_payload(payload)

    assert refused.value.field == field
    assert words in str(refused.value)
    # Callers may catch it as a plain ValueError or as any deliberate Bilten error.
    assert isinstance(refused.value, ValueError)
    assert isinstance(refused.value, BiltenError)


def test_every_payload_a_venue_can_make_fits_the_length_limit() -> None:
    longest_url = "https://" + "v" * 380 + ".example"
    assert len(build_payload(longest_url, "ABCD-EFGH")) <= MAX_PAYLOAD_LENGTH


def test_codes_are_typed_forgivingly_but_checked_strictly() -> None:
    assert normalize_code(" abcd-efgh ") == "ABCDEFGH"
    assert check_code("abcd efgh") == "ABCD-EFGH"
    assert check_code(CODE_ALPHABET[:8]) == "ABCD-EFGH"
    for bad in ("", "ABCD", "ABCD-EFGH-JK", "ABCD-EFG1", "ABCD_EFGH"):
        with pytest.raises(PairingPayloadError):
            check_code(bad)


def test_a_typed_address_without_scheme_or_port_means_the_venue_default() -> None:
    assert venue_url_from_input("192.168.1.20") == "http://192.168.1.20:8100"
    assert venue_url_from_input(" 192.168.1.20:9000/ ") == "http://192.168.1.20:9000"
    assert venue_url_from_input("[fd00::2]") == "http://[fd00::2]:8100"
    assert venue_url_from_input("https://venue.example.org") == "https://venue.example.org"
    with pytest.raises(PairingPayloadError):
        venue_url_from_input("ftp://192.168.1.20")
    with pytest.raises(PairingPayloadError):
        check_venue_url("192.168.1.20")


def test_looks_like_payload_spots_the_scheme_only() -> None:
    assert looks_like_payload(" Bilten-Pair:whatever")
    assert not looks_like_payload("http://10.0.0.2:8100")
