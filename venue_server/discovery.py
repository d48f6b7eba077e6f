"""Announcing the venue server on the LAN by mDNS/DNS-SD, so gates find it without a typed URL.

The announcement lists only addresses where the server really listens: a server bound to
loopback is announced on loopback alone (a demo on one machine), one bound to every address
is announced with each LAN address of the machine. Network trouble never stops the server:
without a multicast-capable interface it simply is not announced, and says so in the log.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ipaddress
import logging
import re
import socket
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

import ifaddr  # zeroconf's own interface lister
from zeroconf import (
    DNSOutgoing,
    DNSService,
    InterfaceChoice,
    IPVersion,
    RecordUpdate,
    RecordUpdateListener,
    ServiceInfo,
    Zeroconf,
    const,
)
from zeroconf import Error as ZeroconfError

from shared.pairing import (
    SCANNER_API_PATH,
    TXT_API_PATH,
    TXT_VENUE_NAME,
    TXT_VERSION,
    VENUE_SERVICE_TYPE,
)

log = logging.getLogger(__name__)

Interfaces = Sequence[str] | InterfaceChoice

# Short record lifetimes: a venue machine that loses power (no goodbye sent) drops out of
# the gates' lists within minutes instead of the 75 minutes mDNS allows by default.
RECORD_TTL = 120
# Registration probes the name first (about a second); stop() waits this long for it.
_REGISTER_WAIT = 5.0
_MAX_LABEL_BYTES = 63
# When another server took the same name, the one keeping it announces itself again this
# long after (_NameDefender): once the other's goodbye has gone out.
_REASSERT_DELAY_S = 1.0
_WILDCARD_HOSTS = ("", "0.0.0.0", "::")  # noqa: S104 - names of "every address", not a bind


def installed_version() -> str:
    try:
        return version("bilten")
    except PackageNotFoundError:
        return "unknown"


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses a gate could reach, loopback and link-local left out."""
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if not ip.is_IPv4 or not isinstance(ip.ip, str):
                continue
            address = ipaddress.IPv4Address(ip.ip)
            if address.is_loopback or address.is_link_local or str(address) in found:
                continue
            found.append(str(address))
    return found


def announce_plan(host: str) -> tuple[list[str], Interfaces]:
    """The addresses to announce for a server bound to ``host``, and the interfaces to use.

    Raises ValueError for a host that gates could not reach over IPv4.
    """
    if host in _WILDCARD_HOSTS:
        addresses = lan_addresses()
        if addresses:
            return addresses, InterfaceChoice.All
        return ["127.0.0.1"], ["127.0.0.1"]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:
            address = ipaddress.ip_address(socket.gethostbyname(host))
        except OSError as exc:
            raise ValueError(f"cannot resolve the listen host {host!r}: {exc}") from exc
    if address.version != 4:
        raise ValueError(f"only IPv4 listen addresses are announced, not {host!r}")
    if address.is_loopback:
        return ["127.0.0.1"], ["127.0.0.1"]
    return [str(address)], [str(address)]


def _label(text: str, limit: int = _MAX_LABEL_BYTES) -> str:
    """``text`` cut to a DNS label's 63 bytes without splitting a character."""
    encoded = text.encode("utf-8")[:limit]
    return encoded.decode("utf-8", errors="ignore").strip()


def instance_name(venue_name: str, hostname: str) -> str:
    """What a gate lists: the venue's name and the machine, e.g. ``Arena (mini-pc)``."""
    venue = " ".join(venue_name.replace(".", " ").split()) or "Bilten venue"
    machine = " ".join(hostname.split(".", maxsplit=1)[0].split())
    return _label(f"{venue} ({machine})" if machine else venue)


def _host_label(hostname: str, port: int) -> str:
    cleaned = re.sub(r"[^a-z0-9-]+", "-", hostname.split(".", maxsplit=1)[0].lower()).strip("-")
    return _label(f"bilten-venue-{cleaned or 'host'}-{port}")


class VenueAnnouncer:
    """Announces one venue server as ``_bilten-venue._tcp`` while started.

    ``start`` returns at once (probing for a unique name takes about a second and happens on
    zeroconf's own thread); ``stop`` sends the goodbye that makes gates drop the venue.
    Call both from a thread without a running asyncio loop (the app's lifespan does).
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        venue_name: str,
        server_version: str | None = None,
        interfaces: Interfaces | None = None,
        hostname: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.venue_name = venue_name
        self.server_version = server_version or installed_version()
        self._interfaces = interfaces
        self._hostname = hostname or socket.gethostname()
        self._zeroconf: Zeroconf | None = None
        self._info: ServiceInfo | None = None
        self._pending: concurrent.futures.Future[object] | None = None
        self.addresses: list[str] = []

    @property
    def service_name(self) -> str | None:
        """The DNS-SD instance name in use (it may have gained a suffix to stay unique)."""
        if self._pending is None or not self._pending.done() or self._pending.exception():
            return None
        return self._info.name if self._info is not None else None

    def start(self) -> bool:
        """Begin announcing; False (and a log line) when this network does not allow it."""
        if self._zeroconf is not None:
            return True
        try:
            addresses, interfaces = announce_plan(self.host)
        except ValueError as exc:
            log.warning("not announcing the venue server on the LAN: %s", exc)
            return False
        interfaces = self._interfaces if self._interfaces is not None else interfaces
        info = ServiceInfo(
            VENUE_SERVICE_TYPE,
            f"{instance_name(self.venue_name, self._hostname)}.{VENUE_SERVICE_TYPE}",
            port=self.port,
            properties={
                TXT_VENUE_NAME: self.venue_name,
                TXT_VERSION: self.server_version,
                TXT_API_PATH: SCANNER_API_PATH,
            },
            server=f"{_host_label(self._hostname, self.port)}.local.",
            host_ttl=RECORD_TTL,
            other_ttl=RECORD_TTL,
            parsed_addresses=addresses,
        )
        try:
            zeroconf = Zeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
        except (OSError, RuntimeError) as exc:
            # RuntimeError: zeroconf found no interface to listen on at all.
            log.warning("not announcing the venue server on the LAN (no multicast): %s", exc)
            return False
        assert zeroconf.loop is not None  # a Zeroconf made off any loop runs its own
        self._zeroconf, self._info, self.addresses = zeroconf, info, addresses
        self._pending = asyncio.run_coroutine_threadsafe(
            zeroconf.async_register_service(info, allow_name_change=True), zeroconf.loop
        )
        self._pending.add_done_callback(self._registered)
        return True

    def _registered(self, future: concurrent.futures.Future[object]) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            log.warning("announcing the venue server on the LAN failed: %s", error)
            return
        zeroconf, info = self._zeroconf, self._info
        if zeroconf is not None and info is not None and zeroconf.loop is not None:
            where = ", ".join(self.addresses)
            log.info("announced as %r at %s port %d", info.name, where, self.port)
            with contextlib.suppress(RuntimeError):  # stopped meanwhile: its loop is closed
                zeroconf.loop.call_soon_threadsafe(
                    zeroconf.async_add_listener, _NameDefender(zeroconf, info), None
                )

    def wait_announced(self, timeout: float = _REGISTER_WAIT) -> bool:
        """Block until the name is claimed; True if the venue is now announced."""
        if self._pending is None:
            return False
        try:
            self._pending.result(timeout)
        except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
            return False
        except (ZeroconfError, OSError):
            return False  # already logged by _registered
        return True

    def stop(self) -> None:
        """Withdraw the announcement (gates see a goodbye) and release the sockets."""
        zeroconf, pending = self._zeroconf, self._pending
        self._zeroconf = self._pending = None
        if zeroconf is None:
            return
        if pending is not None and not pending.done():
            pending.cancel()
        # Sends the goodbyes for every registered service, then shuts zeroconf's thread down.
        zeroconf.close()


class _NameDefender(RecordUpdateListener):
    """Keeps the instance name unique once it is claimed.

    Probing finds a name already taken only if its holder answers within the probe's second
    and a half: two servers probing in the same instant, or a holder too busy to answer in
    time, can both end up with one name, and zeroconf does not resolve that afterwards (RFC
    6762 section 9). Gates would then see one venue where there are two. So the announcer
    keeps listening: when another server announces its service under this same name, the
    one whose host and port sort higher gives the name up (a goodbye for its own service
    record, not for the name both share) and claims a numbered one, as probing would have;
    the other keeps it. Both see the same pair, so exactly one moves. The one that keeps it
    announces itself again a moment later, so that gates which took the other's address for
    the name learn its own.
    """

    def __init__(self, zeroconf: Zeroconf, info: ServiceInfo) -> None:
        self._zeroconf = zeroconf
        self._info = info
        self._moving = False
        self._asserting = False
        self._task: asyncio.Future[None] | None = None

    def async_update_records(self, zc: Zeroconf, now: float, records: list[RecordUpdate]) -> None:
        del zc, now
        info = self._info
        ours = ((info.server or "").lower(), info.port or 0)
        for update in records:
            record = update.new
            if (
                not isinstance(record, DNSService)
                or record.ttl == 0
                or record.name.lower() != info.name.lower()
                or self._moving
                or self._asserting
            ):
                continue
            theirs = (record.server.lower(), record.port)
            if theirs < ours:
                self._moving = True
                self._task = asyncio.ensure_future(self._move())
            elif theirs > ours:
                self._asserting = True
                self._task = asyncio.ensure_future(self._assert())

    async def _assert(self) -> None:
        log.info(
            "another venue server announced the name %r too; it gives the name up, and this "
            "one announces itself again",
            self._info.name,
        )
        await asyncio.sleep(_REASSERT_DELAY_S)  # after the other's goodbye
        try:
            await self._zeroconf.async_update_service(self._info)
        except (ZeroconfError, OSError) as exc:
            log.warning("announcing the venue server on the LAN again failed: %s", exc)
        self._asserting = False

    async def _move(self) -> None:
        zeroconf, info = self._zeroconf, self._info
        taken = info.name
        log.warning("another venue server took the name %r too; announcing under another", taken)
        goodbye = DNSOutgoing(const._FLAGS_QR_RESPONSE | const._FLAGS_AA)
        for record in (info.dns_service(override_ttl=0), info.dns_text(override_ttl=0)):
            goodbye.add_answer_at_time(record, 0)
        zeroconf.registry.async_remove(info)
        zeroconf.async_send(goodbye)
        instance = taken.removesuffix(f".{info.type}")
        number = 2
        while True:
            info.name = f"{instance}-{number}.{info.type}"
            if not zeroconf.cache.current_entry_with_name_and_alias(info.type, info.name):
                break
            number += 1
        try:
            # Without probing again: this listener keeps watching the new name, and moves
            # once more if a server that sorts lower holds it too.
            await zeroconf.async_register_service(info, cooperating_responders=True)
        except (ZeroconfError, OSError) as exc:
            log.warning("announcing the venue server on the LAN failed: %s", exc)
            return
        log.info("announced as %r instead", info.name)
        self._moving = False
