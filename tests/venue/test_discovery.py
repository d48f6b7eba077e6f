"""The venue server's mDNS announcement, found by the scanner's browser: real zeroconf on both
ends, real multicast on the loopback interface, a real venue server behind the announcement."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from zeroconf import IPVersion, ServiceInfo, Zeroconf

from scanner_app.discovery import DiscoveryUnavailable, FoundVenue, VenueBrowser
from shared.pairing import SCANNER_API_PATH, TXT_API_PATH, TXT_VENUE_NAME, VENUE_SERVICE_TYPE
from tests.support import free_port, need, serving
from venue_server.app import create_app
from venue_server.discovery import VenueAnnouncer, announce_plan, instance_name, lan_addresses
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore

LOOPBACK = "127.0.0.1"
WAIT = 20.0  # a generous ceiling for multicast round trips on a busy machine, not a measure


def multicast_loops(interface: str = LOOPBACK) -> bool:
    """Whether a multicast datagram sent on ``interface`` comes back to this host."""
    group = "239.255.42.99"
    try:
        with (
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as rx,
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as tx,
        ):
            rx.bind(("", 0))
            membership = socket.inet_aton(group) + socket.inet_aton(interface)
            rx.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
            tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface))
            tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
            nonce = secrets.token_bytes(8)
            tx.sendto(nonce, (group, rx.getsockname()[1]))
            while select.select([rx], [], [], 2.0)[0]:
                if rx.recv(64) == nonce:
                    return True
    except OSError:
        return False
    return False


@pytest.fixture
def multicast() -> None:
    need(multicast_loops(), "IPv4 multicast on the loopback interface (mDNS)")


@pytest.fixture
def browser(multicast: None) -> Iterator[VenueBrowser]:
    with VenueBrowser([LOOPBACK]) as found:
        yield found


def at(url: str) -> Callable[[list[FoundVenue]], bool]:
    return lambda venues: any(v.url == url for v in venues)


def gone(url: str) -> Callable[[list[FoundVenue]], bool]:
    return lambda venues: not any(v.url == url for v in venues)


@contextlib.contextmanager
def announced_venue(tmp_path: Path, name: str) -> Iterator[tuple[str, VenueAnnouncer]]:
    """A real venue server on loopback, announced while it serves."""
    port = free_port()
    settings = VenueSettings(data_dir=tmp_path / name, port=port)
    announcer = VenueAnnouncer(host=LOOPBACK, port=port, venue_name=name)
    with serving(create_app(settings, sync=False, announcer=announcer), port) as server:
        yield server.url, announcer


def test_a_serving_venue_is_found_with_its_url_and_gone_once_it_stops(
    tmp_path: Path, browser: VenueBrowser
) -> None:
    name = f"Arena {uuid.uuid4().hex[:6]}"
    with announced_venue(tmp_path, name) as (url, announcer):
        venues = browser.wait_for(at(url), WAIT)

        [venue] = [v for v in venues if v.url == url]
        assert venue.name == name
        assert venue.instance.startswith(name)
        # Gates may see the first announcement before the announcer has heard back from
        # its last one; by then its name is the one they see.
        assert announcer.wait_announced(WAIT)
        assert announcer.service_name == f"{venue.instance}._bilten-venue._tcp.local."
        assert venue.version
        # The URL is the scanner API's base: the server behind it answers.
        assert httpx.get(f"{venue.url}/health", timeout=5).json()["status"] == "ok"

    assert gone(url)(browser.wait_for(gone(url), WAIT))


def test_several_venues_are_listed_and_one_leaving_keeps_the_other(
    tmp_path: Path, browser: VenueBrowser
) -> None:
    tag = uuid.uuid4().hex[:6]
    with announced_venue(tmp_path, f"North {tag}") as (north, _):
        with announced_venue(tmp_path, f"South {tag}") as (south, _):
            both = browser.wait_for(lambda v: at(north)(v) and at(south)(v), WAIT)
            assert {v.name for v in both if v.url in (north, south)} == {
                f"North {tag}",
                f"South {tag}",
            }

        left = browser.wait_for(gone(south), WAIT)
        assert at(north)(left)
        assert gone(south)(left)


def test_two_servers_with_the_same_venue_name_stay_apart(
    tmp_path: Path, browser: VenueBrowser
) -> None:
    name = f"Twin {uuid.uuid4().hex[:6]}"

    def apart(venues: list[FoundVenue]) -> bool:
        ours = {v.url: v.instance for v in venues if v.url in (first, second)}
        return len(ours) == 2 and len(set(ours.values())) == 2

    with announced_venue(tmp_path / "a", name) as (first, one):
        # The second starts once the first holds its name, as a second server on the LAN
        # does. Probing usually finds the name taken; when the first answers too late (a
        # busy machine), the two see each other's announcements and one of them moves.
        assert one.wait_announced(WAIT)
        with announced_venue(tmp_path / "b", name) as (second, two):
            assert two.wait_announced(WAIT)
            assert apart(browser.wait_for(apart, WAIT))
            assert one.service_name != two.service_name


@pytest.mark.parametrize(("intruder_host", "moves"), [("a-host", True), ("z-host", False)])
def test_a_server_that_took_a_name_already_held_makes_one_of_the_two_move(
    browser: VenueBrowser, intruder_host: str, moves: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # Probing finds a name taken only if its holder answers in time; on a busy machine it
    # may not, and two servers end up with one name. Here the second takes it without
    # probing at all. Of the two, the one whose host and port sort higher moves.
    caplog.set_level(logging.INFO, logger="venue_server.discovery")
    name = f"Pair {uuid.uuid4().hex[:6]}"
    announcer = VenueAnnouncer(host=LOOPBACK, port=free_port(), venue_name=name, hostname="pc")
    intruder_port = free_port()
    ours = f"http://{LOOPBACK}:{announcer.port}"
    theirs = f"http://{LOOPBACK}:{intruder_port}"

    def listed(venues: list[FoundVenue]) -> dict[str, str]:
        return {v.url: v.instance for v in venues if v.url in (ours, theirs)}

    assert announcer.start()
    try:
        assert announcer.wait_announced(WAIT)
        claimed = announcer.service_name
        assert claimed == f"{name} (pc).{VENUE_SERVICE_TYPE}"
        intruder = Zeroconf(interfaces=[LOOPBACK], ip_version=IPVersion.V4Only)
        try:
            intruder.register_service(
                ServiceInfo(
                    VENUE_SERVICE_TYPE,
                    claimed,
                    port=intruder_port,
                    properties={TXT_VENUE_NAME: name, TXT_API_PATH: SCANNER_API_PATH},
                    server=f"{intruder_host}.local.",
                    parsed_addresses=[LOOPBACK],
                ),
                cooperating_responders=True,
            )
            if moves:
                # Gates list each under its own name, whichever address they took first.
                apart = {ours: f"{name} (pc)-2", theirs: f"{name} (pc)"}
                assert listed(browser.wait_for(lambda v: listed(v) == apart, WAIT)) == apart
                assert announcer.service_name == f"{name} (pc)-2.{VENUE_SERVICE_TYPE}"
            else:
                # It hears the intruder's announcements and keeps its name: the intruder is
                # the one to move. It announces itself again, and gates list it at its own
                # address under the name.
                deadline = time.monotonic() + WAIT
                while not _heard_the_intruder(caplog) and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert _heard_the_intruder(caplog)
                kept = browser.wait_for(lambda v: listed(v).get(ours) == f"{name} (pc)", WAIT)
                assert listed(kept)[ours] == f"{name} (pc)"
                assert announcer.service_name == claimed
        finally:
            intruder.close()
    finally:
        announcer.stop()


def _heard_the_intruder(caplog: pytest.LogCaptureFixture) -> bool:
    return any("announces itself again" in r.getMessage() for r in caplog.records)


def test_venue_serve_announces_itself_until_interrupted(
    tmp_path: Path, browser: VenueBrowser
) -> None:
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "venue", "serve", "--port", str(port)],
        env={**os.environ, "BILTEN_VENUE_DATA": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        venues = browser.wait_for(at(url), WAIT)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)

    assert at(url)(venues), output.decode()
    # The goodbye went out during shutdown, before the process ended.
    assert gone(url)(browser.wait_for(gone(url), WAIT))


def test_a_venue_that_cannot_announce_still_serves(tmp_path: Path) -> None:
    port = free_port()
    settings = VenueSettings(data_dir=tmp_path, port=port)
    # An address no interface of this machine has: joining the mDNS group fails there.
    announcer = VenueAnnouncer(
        host=LOOPBACK, port=port, venue_name="Nowhere", interfaces=["203.0.113.7"]
    )

    with serving(create_app(settings, sync=False, announcer=announcer), port) as server:
        health = httpx.get(f"{server.url}/health", timeout=5)

    assert health.json()["status"] == "ok"
    assert announcer.service_name is None


def test_a_browser_without_a_usable_interface_says_discovery_is_unavailable() -> None:
    with pytest.raises(DiscoveryUnavailable, match="type the venue server's address"):
        VenueBrowser(["203.0.113.7"]).start()


def test_only_reachable_addresses_are_announced() -> None:
    assert announce_plan("127.0.0.1") == (["127.0.0.1"], ["127.0.0.1"])
    assert announce_plan("localhost")[0] == ["127.0.0.1"]
    addresses, _ = announce_plan("0.0.0.0")  # what a LAN venue listens on
    assert addresses == (lan_addresses() or ["127.0.0.1"])
    assert all(not a.startswith("127.") for a in lan_addresses())
    with pytest.raises(ValueError, match="IPv4"):
        announce_plan("::1")


def test_instance_names_are_readable_and_fit_a_dns_label() -> None:
    assert instance_name("Arena", "mini-pc.lan") == "Arena (mini-pc)"
    assert instance_name("", "mini-pc") == "Bilten venue (mini-pc)"
    long_name = instance_name("Záhřeb " * 20, "host")
    assert len(long_name.encode()) <= 63
    long_name.encode().decode("utf-8")  # never cut inside a character


def test_announcing_is_on_by_default_and_switched_off_by_env_or_flag() -> None:
    from shared.cli import build_parser

    assert VenueSettings.from_env({}).announce is True
    assert VenueSettings.from_env({"BILTEN_VENUE_ANNOUNCE": "0"}).announce is False
    assert VenueSettings.from_env({"BILTEN_VENUE_ANNOUNCE": "off"}).announce is False
    args = build_parser().parse_args(["venue", "serve", "--no-announce"])
    assert args.no_announce is True
    from venue_server.errors import SettingsError

    with pytest.raises(SettingsError, match="BILTEN_VENUE_ANNOUNCE"):
        VenueSettings.from_env({"BILTEN_VENUE_ANNOUNCE": "maybe"})


def test_a_venue_name_from_the_cloud_link_is_what_serve_announces(
    tmp_path: Path, browser: VenueBrowser
) -> None:
    from venue_server.store import CloudLink

    name = f"Grand Hall {uuid.uuid4().hex[:6]}"
    store = VenueStore(tmp_path / "venue.sqlite3")
    store.set_cloud_link(CloudLink(f"http://127.0.0.1:{free_port()}", "venue-key", name))
    store.close()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "venue", "serve", "--port", str(port)],
        env={
            **os.environ,
            "BILTEN_VENUE_DATA": str(tmp_path),
            # The cloud link points nowhere; keep its sync rounds out of the way.
            "BILTEN_VENUE_SYNC_INTERVAL": "3600",
            "BILTEN_VENUE_MAX_BACKOFF": "3600",
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        venues = browser.wait_for(at(f"http://{LOOPBACK}:{port}"), WAIT)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)

    assert [v.name for v in venues if v.url.endswith(f":{port}")] == [name], output.decode()


def test_serve_with_no_announce_is_not_found(tmp_path: Path, browser: VenueBrowser) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shared.cli",
            "venue",
            "serve",
            "--port",
            str(port),
            "--no-announce",
        ],
        env={**os.environ, "BILTEN_VENUE_DATA": str(tmp_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + WAIT
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://{LOOPBACK}:{port}/health", timeout=1).status_code == 200:
                    break
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        # The server is up; an announcement would have been answered by now if there were one.
        venues = browser.wait_for(at(f"http://{LOOPBACK}:{port}"), 3.0)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)

    assert gone(f"http://{LOOPBACK}:{port}")(venues)
