"""Finding venue servers on the LAN by mDNS/DNS-SD (zeroconf), without Qt.

A :class:`VenueBrowser` watches the network on zeroconf's own threads until closed and keeps
the current list: venues appear as they announce themselves and disappear when they say
goodbye or their records expire. :func:`discover` is the one-shot form for the command line.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit

import ifaddr  # zeroconf's own interface lister
from zeroconf import (
    DNSService,
    InterfaceChoice,
    IPVersion,
    RecordUpdate,
    RecordUpdateListener,
    ServiceBrowser,
    ServiceInfo,
    ServiceListener,
    Zeroconf,
)
from zeroconf import Error as ZeroconfError

from scanner_app.errors import ScannerError
from shared.errors import PairingPayloadError
from shared.pairing import (
    SCANNER_API_PATH,
    TXT_API_PATH,
    TXT_VENUE_NAME,
    TXT_VERSION,
    VENUE_SERVICE_TYPE,
    check_venue_url,
)

log = logging.getLogger(__name__)

Interfaces = Sequence[str] | InterfaceChoice
Listener = Callable[[list["FoundVenue"]], None]

DEFAULT_TIMEOUT = 3.0
_RESOLVE_MS = 3000
# A listed venue's service record said goodbye or changed: resolve it again this much later,
# once the cache holds what replaces it.
_RERESOLVE_DELAY_S = 0.5


class DiscoveryUnavailable(ScannerError):
    """This machine cannot look for venues by mDNS (no interface with multicast)."""


@dataclass(frozen=True, slots=True)
class FoundVenue:
    """A venue server that announced itself; ``url`` is the address most likely reachable."""

    instance: str  # the DNS-SD instance name, unique on the network
    name: str  # the venue's own name; empty until the venue is paired with a cloud
    url: str
    urls: tuple[str, ...]
    version: str

    @property
    def label(self) -> str:
        """What a person picks from a list: the announced instance, e.g. 'Arena (mini-pc)'."""
        return self.instance

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "instance": self.instance,
            "url": self.url,
            "urls": list(self.urls),
            "version": self.version,
        }


def _local_networks() -> list[ipaddress.IPv4Network]:
    networks = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if ip.is_IPv4 and isinstance(ip.ip, str):
                network = ipaddress.IPv4Interface(f"{ip.ip}/{ip.network_prefix}").network
                if not network.is_loopback:
                    networks.append(network)
    return networks


def _rank(addresses: Sequence[str], networks: Sequence[ipaddress.IPv4Network]) -> list[str]:
    """Addresses on one of our own subnets first, then other LAN ones, loopback last."""

    def order(text: str) -> int:
        address = ipaddress.IPv4Address(text)
        if any(address in network for network in networks):
            return 0
        return 2 if address.is_loopback else 1

    return sorted(addresses, key=order)


def _text(properties: dict[bytes, bytes | None], key: str) -> str:
    value = properties.get(key.encode())
    return value.decode("utf-8", errors="replace") if value else ""


def venue_from_info(
    info: ServiceInfo, networks: Sequence[ipaddress.IPv4Network] = ()
) -> FoundVenue | None:
    """The venue an mDNS answer describes, or None if a gate cannot use it."""
    properties = info.properties
    path = _text(properties, TXT_API_PATH)
    if path != SCANNER_API_PATH:
        log.info(
            "ignoring %s: it serves %r, this scanner speaks %s", info.name, path, SCANNER_API_PATH
        )
        return None
    addresses = [a for a in info.parsed_addresses(IPVersion.V4Only) if a]
    if not addresses or not info.port:
        return None
    urls: list[str] = []
    for address in _rank(addresses, networks):
        try:
            urls.append(check_venue_url(f"http://{address}:{info.port}"))
        except PairingPayloadError:
            continue
    if not urls:
        return None
    instance = info.name.removesuffix(f".{VENUE_SERVICE_TYPE}")
    return FoundVenue(
        instance=instance,
        name=_text(properties, TXT_VENUE_NAME),
        url=urls[0],
        urls=tuple(urls),
        version=_text(properties, TXT_VERSION),
    )


class VenueBrowser(ServiceListener):
    """Keeps the list of venue servers on the LAN current until closed.

    ``on_change`` is called with the new list on one of zeroconf's threads whenever a venue
    appears, changes or goes away; a Qt caller turns that into a signal.
    """

    def __init__(
        self,
        interfaces: Interfaces = InterfaceChoice.All,
        on_change: Listener | None = None,
    ) -> None:
        self._interfaces = interfaces
        self._on_change = on_change
        self._venues: dict[str, FoundVenue] = {}
        self._changed = threading.Condition()
        self._zeroconf: Zeroconf | None = None
        self._browser: ServiceBrowser | None = None
        self._networks: list[ipaddress.IPv4Network] = []

    def start(self) -> VenueBrowser:
        """Start looking; raises DiscoveryUnavailable when the network does not allow it."""
        if self._zeroconf is not None:
            return self
        self._networks = _local_networks()
        try:
            self._zeroconf = Zeroconf(interfaces=self._interfaces, ip_version=IPVersion.V4Only)
        except (OSError, RuntimeError) as exc:
            # RuntimeError: zeroconf found no interface to listen on at all.
            raise DiscoveryUnavailable(
                f"cannot look for venue servers on this network ({exc}); type the venue "
                "server's address instead"
            ) from exc
        self._browser = ServiceBrowser(self._zeroconf, VENUE_SERVICE_TYPE, listener=self)
        self._zeroconf.add_listener(_ServiceRecords(self), None)
        return self

    def close(self) -> None:
        browser, zeroconf = self._browser, self._zeroconf
        self._browser = self._zeroconf = None
        if browser is not None:
            browser.cancel()
        if zeroconf is not None:
            zeroconf.close()

    def __enter__(self) -> VenueBrowser:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def venues(self) -> list[FoundVenue]:
        with self._changed:
            return sorted(self._venues.values(), key=lambda v: (v.instance.lower(), v.url))

    def wait_for(
        self, condition: Callable[[list[FoundVenue]], bool], timeout: float
    ) -> list[FoundVenue]:
        """The list once ``condition`` holds for it, or as it is when ``timeout`` runs out."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(venues := self.venues()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            return venues

    # -- zeroconf's ServiceListener; runs on the browser's thread, where blocking is allowed

    def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self._resolve(zc, type_, name)

    def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self._resolve(zc, type_, name)

    def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self._set(name, None)

    def listed_port(self, name: str) -> int | None:
        """The port of the venue listed under ``name``, if one is."""
        with self._changed:
            venue = self._venues.get(name.lower())
        return None if venue is None else urlsplit(venue.url).port

    def resolve_later(self, name: str) -> None:
        """Resolve ``name`` again in a moment, on a thread of its own (resolving blocks)."""

        def again() -> None:
            zeroconf = self._zeroconf
            # A venue that left altogether (its pointer said goodbye too) is not looked for.
            if zeroconf is None or zeroconf.done or self.listed_port(name) is None:
                return
            try:
                self._resolve(zeroconf, VENUE_SERVICE_TYPE, name)
            except ZeroconfError as exc:  # the browser closed meanwhile
                log.debug("not resolving %s again: %r", name, exc)

        timer = threading.Timer(_RERESOLVE_DELAY_S, again)
        timer.daemon = True
        timer.start()

    def _resolve(self, zc: Zeroconf, type_: str, name: str) -> None:
        info = ServiceInfo(type_, name)
        if not info.request(zc, _RESOLVE_MS):
            log.info("venue %s did not answer with its address", name)
            return
        self._set(name, venue_from_info(info, self._networks))

    def _set(self, name: str, venue: FoundVenue | None) -> None:
        key = name.lower()
        with self._changed:
            if venue is None:
                if self._venues.pop(key, None) is None:
                    return
            elif self._venues.get(key) == venue:
                return
            else:
                self._venues[key] = venue
            self._changed.notify_all()
        if self._on_change is not None:
            self._on_change(self.venues())


class _ServiceRecords(RecordUpdateListener):
    """Catches what zeroconf's browser does not report: a listed venue's service record that
    said goodbye while another record stands under the same name, or that another replaced.
    Two venue servers that took one name resolve it by one moving away
    (venue_server.discovery), and a gate that took the mover's address for the name must
    learn the one that stayed."""

    def __init__(self, browser: VenueBrowser) -> None:
        self._browser = browser

    def async_update_records(self, zc: Zeroconf, now: float, records: list[RecordUpdate]) -> None:
        del zc
        for update in records:
            record = update.new
            if not isinstance(record, DNSService):
                continue
            port = self._browser.listed_port(record.name)
            if port is not None and (record.is_expired(now) or record.port != port):
                self._browser.resolve_later(record.name)


def discover(
    timeout: float = DEFAULT_TIMEOUT, interfaces: Interfaces = InterfaceChoice.All
) -> list[FoundVenue]:
    """Every venue server that answers within ``timeout`` seconds.

    Waits the whole time: there is no telling whether one more venue is about to answer.
    Raises DiscoveryUnavailable when this machine cannot use mDNS at all.
    """
    with VenueBrowser(interfaces) as browser:
        return browser.wait_for(lambda _: False, timeout)
