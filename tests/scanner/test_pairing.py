"""Pairing a scanner with a real venue server on a loopback port: by the QR payload, by a typed
URL and code, and by a code alone with the venue found on the LAN by mDNS."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scanner_app.core import ScannerCore
from scanner_app.discovery import FoundVenue
from scanner_app.pairing import (
    PairingFailed,
    PairingProblem,
    ScannerPairing,
    choose_venue,
    target_from_input,
    target_from_payload,
)
from scanner_app.store import Store
from scanner_app.sync import SyncStatus
from shared.clock import HybridClock
from shared.messages import ManifestPage
from shared.pairing import build_payload
from shared.reasons import Reason
from tests.scanner.gate import TicketMaker, ticket_entry
from tests.support import free_port, serving
from venue_server.app import create_app
from venue_server.cloud_sync import apply_manifest_page
from venue_server.pairing import issue_pairing_code
from venue_server.settings import VenueSettings
from venue_server.store import CloudLink, VenueStore

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Venue:
    url: str
    store: VenueStore
    maker: TicketMaker

    def code(self, gate: str = "East", issued: int | None = None) -> str:
        return issue_pairing_code(self.store, gate, 900, issued or int(time.time()))

    def payload(self, gate: str = "East") -> str:
        return build_payload(self.url, self.code(gate))

    def sell(self, count: int) -> list[str]:
        claims = [self.maker.claims() for _ in range(count)]
        apply_manifest_page(
            self.store,
            ManifestPage(
                next_cursor="cloud-page-1",
                has_more=False,
                events=[self.maker.event_entry()],
                keys=[self.maker.key_entry()],
                tickets=[ticket_entry(c, f"Guest {n}") for n, c in enumerate(claims)],
            ),
        )
        return [self.maker.token(c) for c in claims]


@contextlib.contextmanager
def running_venue(data: Path, maker: TicketMaker, name: str = "Arena") -> Iterator[Venue]:
    """A real venue server on a loopback port, named ``name`` by its (unused) cloud link."""
    store = VenueStore(data / "venue.sqlite3")
    store.set_cloud_link(CloudLink(f"http://127.0.0.1:{free_port()}", "venue-key", name))
    try:
        with serving(create_app(VenueSettings(data_dir=data), store=store, sync=False)) as server:
            yield Venue(server.url, store, maker)
    finally:
        store.close()


@pytest.fixture
def venue(tmp_path: Path, maker: TicketMaker) -> Iterator[Venue]:
    with running_venue(tmp_path / "venue", maker) as running:
        yield running


@pytest.fixture
def scanner_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "scanner" / "scanner.sqlite3")
    yield store
    store.close()


def test_pairing_by_the_qr_payload_saves_the_device_and_downloads_the_tickets(
    venue: Venue, scanner_store: Store
) -> None:
    tokens = venue.sell(3)

    result = ScannerPairing(scanner_store).pair(target_from_payload(venue.payload()), "East 1")

    device = scanner_store.device()
    assert device == result.device
    assert device is not None
    assert (device.gate, device.venue_name, device.venue_url) == ("East", "Arena", venue.url)
    assert (result.sync.status, result.tickets) == (SyncStatus.ONLINE, 3)
    assert [d.name for d in venue.store.devices()] == ["East 1"]
    # The gate admits a ticket straight away, offline from its own copy.
    verdict = ScannerCore(scanner_store, HybridClock(device.device_id)).scan(tokens[0])
    assert verdict.reason is Reason.ADMITTED


def test_a_gate_named_when_pairing_is_the_scanners_own_choice(
    venue: Venue, scanner_store: Store
) -> None:
    target = target_from_payload(venue.payload("East"))

    result = ScannerPairing(scanner_store).pair(target, "Tablet 7", gate="Side door")

    assert result.to_json()["gate"] == "Side door"
    assert scanner_store.settings().gate == "Side door"  # as if set in its Settings
    device = scanner_store.device()
    assert device is not None and device.gate == "East"  # the venue's record of it


def test_pairing_by_a_typed_address_and_code_is_forgiving_about_how_it_is_typed(
    venue: Venue, scanner_store: Store
) -> None:
    host_port = venue.url.removeprefix("http://")
    code = venue.code().replace("-", " ").lower()

    result = ScannerPairing(scanner_store).pair(target_from_input(host_port, code), " North  1 ")

    assert result.device.venue_url == venue.url
    assert result.device.device_name == "North 1"


@pytest.mark.parametrize(
    ("make_code", "problem", "words"),
    [
        (lambda venue: "ZZZZ-ZZZZ", PairingProblem.UNKNOWN_CODE, "unknown pairing code"),
        (
            lambda venue: venue.code(issued=int(time.time()) - 3600),
            PairingProblem.EXPIRED_CODE,
            "expired",
        ),
    ],
)
def test_a_wrong_or_expired_code_is_refused_clearly_and_nothing_is_saved(
    venue: Venue, scanner_store: Store, make_code: object, problem: PairingProblem, words: str
) -> None:
    code = make_code(venue)  # type: ignore[operator]

    with pytest.raises(PairingFailed) as failed:
        ScannerPairing(scanner_store).pair(target_from_input(venue.url, code), "East 1")

    assert failed.value.problem is problem
    assert words in str(failed.value)
    assert scanner_store.device() is None
    assert venue.store.devices() == []


def test_a_code_already_used_by_another_scanner_is_refused(
    venue: Venue, scanner_store: Store, tmp_path: Path
) -> None:
    payload = venue.payload()
    other = Store(tmp_path / "other" / "scanner.sqlite3")
    try:
        ScannerPairing(other).pair(target_from_payload(payload), "First")
    finally:
        other.close()

    with pytest.raises(PairingFailed) as failed:
        ScannerPairing(scanner_store).pair(target_from_payload(payload), "Second")

    assert failed.value.problem is PairingProblem.USED_CODE
    assert scanner_store.device() is None


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ("https://example.com/not-a-pairing-code", PairingProblem.BAD_PAYLOAD),
        ("bilten-pair:ftp://10.0.0.2:8100#ABCD-EFGH", PairingProblem.BAD_URL),
        ("bilten-pair:http://10.0.0.2:8100#ABCD", PairingProblem.BAD_CODE),
        ("bilten-pair:http://10.0.0.2:8100", PairingProblem.BAD_PAYLOAD),
    ],
)
def test_a_malformed_payload_is_a_clear_input_error(payload: str, problem: PairingProblem) -> None:
    with pytest.raises(PairingFailed) as failed:
        target_from_payload(payload)

    assert failed.value.problem is problem
    assert failed.value.problem.is_input


def test_an_empty_scanner_name_is_refused_before_the_code_is_spent(
    venue: Venue, scanner_store: Store
) -> None:
    payload = venue.payload()

    with pytest.raises(PairingFailed) as failed:
        ScannerPairing(scanner_store).pair(target_from_payload(payload), "   ")

    assert failed.value.problem is PairingProblem.BAD_NAME
    ScannerPairing(scanner_store).pair(target_from_payload(payload), "East 1")  # still good


def test_an_unreachable_venue_or_something_else_at_the_address_is_told_apart(
    venue: Venue, scanner_store: Store
) -> None:
    pairing = ScannerPairing(scanner_store)

    with pytest.raises(PairingFailed) as down:
        pairing.pair(target_from_input(f"http://127.0.0.1:{free_port()}", "ABCD-EFGH"), "x")
    with pytest.raises(PairingFailed) as elsewhere:
        pairing.pair(target_from_input(f"{venue.url}/not-here", venue.code()), "x")

    assert down.value.problem is PairingProblem.UNREACHABLE
    assert elsewhere.value.problem is PairingProblem.NOT_A_VENUE
    assert scanner_store.device() is None


def _found(name: str, port: int) -> FoundVenue:
    url = f"http://10.0.0.{port % 250}:{port}"
    return FoundVenue(instance=f"{name} (pc)", name=name, url=url, urls=(url,), version="1")


def test_with_a_code_alone_exactly_one_venue_must_be_found() -> None:
    assert choose_venue([_found("Arena", 8100)]).url == "http://10.0.0.100:8100"
    with pytest.raises(PairingFailed, match="no venue server answered") as none:
        choose_venue([])
    with pytest.raises(PairingFailed) as several:
        choose_venue([_found("Arena", 8100), _found("Hall", 8101)])

    assert none.value.problem is PairingProblem.NO_VENUE
    assert several.value.problem is PairingProblem.SEVERAL_VENUES
    assert "Arena (pc) at http://10.0.0.100:8100" in str(several.value)
    assert "Hall (pc) at http://10.0.0.101:8101" in str(several.value)


def bilten(
    *args: str, cwd: Path, prefix: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "shared.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def test_cli_pairs_from_the_qr_payload_and_prints_the_device(venue: Venue, tmp_path: Path) -> None:
    venue.sell(2)
    data = tmp_path / "cli"

    done = bilten(
        "scanner",
        "pair",
        "--qr",
        venue.payload("West"),
        "--name",
        "West 1",
        "--data",
        str(data),
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert (printed["gate"], printed["venue_name"], printed["tickets"]) == ("West", "Arena", 2)
    assert printed["sync"] == "online"
    assert printed["data"] == str(data)


def test_cli_refuses_a_wrong_code_and_a_bad_payload_in_plain_words(
    venue: Venue, tmp_path: Path
) -> None:
    data = str(tmp_path / "cli")

    wrong = bilten(
        "scanner",
        "pair",
        "--venue",
        venue.url,
        "--code",
        "ZZZZ-ZZZZ",
        "--name",
        "x",
        "--data",
        data,
        cwd=tmp_path,
    )
    malformed = bilten(
        "scanner",
        "pair",
        "--qr",
        "bilten-pair:gopher://x#ABCD-EFGH",
        "--name",
        "x",
        "--data",
        data,
        cwd=tmp_path,
    )
    both = bilten(
        "scanner",
        "pair",
        "--qr",
        venue.payload(),
        "--code",
        "ABCD-EFGH",
        "--name",
        "x",
        "--data",
        data,
        cwd=tmp_path,
    )

    assert wrong.returncode == 1
    assert "unknown pairing code" in wrong.stderr
    assert malformed.returncode == 2
    assert "http:// or https://" in malformed.stderr
    assert both.returncode == 2
    assert "not both" in both.stderr
    for done in (wrong, malformed, both):
        assert "Traceback" not in done.stderr
    assert Store(Path(data) / "scanner.sqlite3").device() is None


# Run inside a private network namespace when the machine allows one, so that no other venue
# server on this machine or LAN can answer: then exactly one venue is found.
_CODE_ALONE = """
import json, sys
from pathlib import Path
from shared.cli import main
from tests.support import free_port, serving
from venue_server.app import create_app
from venue_server.discovery import VenueAnnouncer
from venue_server.pairing import issue_pairing_code
from venue_server.settings import VenueSettings
from venue_server.store import CloudLink, VenueStore

data, name = Path(sys.argv[1]), sys.argv[2]
store = VenueStore(data / "venue" / "venue.sqlite3")
store.set_cloud_link(CloudLink("http://127.0.0.1:9", "venue-key", name))
code = issue_pairing_code(store, "Gate 9", 900, __import__("time").time().__int__())
port = free_port()
announcer = VenueAnnouncer(host="127.0.0.1", port=port, venue_name=name)
app = create_app(VenueSettings(data_dir=data / "venue", port=port), store=store, sync=False,
                 announcer=announcer)
with serving(app, port):
    announcer.wait_announced()
    sys.exit(main(["scanner", "pair", "--code", code.lower(), "--name", "Gate 9 tablet",
                   "--data", str(data / "scanner"), "--timeout", "3"]))
"""


def _private_network() -> list[str]:
    """A command prefix that runs in a fresh network namespace with only loopback up."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return []
    prefix = ["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, check=False, timeout=30)
    return prefix if probe.returncode == 0 else []


def test_cli_pairs_with_a_code_alone_when_one_venue_answers_on_the_lan(tmp_path: Path) -> None:
    from tests.support import need
    from tests.venue.test_discovery import multicast_loops

    prefix = _private_network()
    if not prefix:
        need(multicast_loops(), "IPv4 multicast on the loopback interface (mDNS)")
    name = f"Arena {uuid.uuid4().hex[:6]}"

    done = bilten_python(_CODE_ALONE, str(tmp_path), name, cwd=tmp_path, prefix=prefix)

    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout.strip().splitlines()[-1])
    assert (printed["venue_name"], printed["gate"]) == (name, "Gate 9")


def test_discovery_without_any_network_says_so(tmp_path: Path) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("SKIPPED LOUDLY: unshare is not installed")
    isolated = ["unshare", "-rn"]  # a namespace whose only interface, loopback, is down
    if subprocess.run([*isolated, "true"], capture_output=True, check=False).returncode != 0:
        pytest.skip("SKIPPED LOUDLY: this machine does not allow network namespaces")

    done = bilten("scanner", "discover", "--timeout", "1", cwd=tmp_path, prefix=isolated)

    assert done.returncode == 2
    assert "cannot look for venue servers" in done.stderr
    assert "Traceback" not in done.stderr


def bilten_python(
    code: str, *args: str, cwd: Path, prefix: list[str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
