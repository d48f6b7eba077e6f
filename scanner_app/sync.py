"""Talking to the venue server: pairing, the manifest, the scan feed and scan uploads.

Being offline is a normal state of a gate, so :meth:`SyncService.sync_once` never raises for
network trouble; it answers with a :class:`SyncReport` the UI can show.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, TypeVar

import httpx

from scanner_app.errors import NotPaired, ScannerError, VenueRefused, VenueUnreachable
from scanner_app.store import FEED_CURSOR, MANIFEST_CURSOR, DeviceConfig, Store
from shared.assignment import GATE_HEADER, NAME_HEADER, Assignment, assignment_from_headers
from shared.clock import Hlc, HybridClock
from shared.errors import ProtocolError
from shared.keys import VerifyKey
from shared.messages import (
    MAX_BATCH,
    ManifestPage,
    Message,
    PairRequest,
    PairResponse,
    ScanAck,
    ScanBatch,
    ScanFeed,
    decode,
    encode,
)

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
Progress = Callable[[int, int], None]
"""Called after each stored manifest page with (entries fetched so far this round, entries the
venue says remain after that page). ``remaining`` is 0 only on the last page."""

API = "/api/v1"


class VenueClient:
    """The venue server's scanner API, typed with the shared sync messages."""

    def __init__(
        self,
        venue_url: str,
        token: str | None = None,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # What the venue's readiness board shows of this device: which manifest it holds.
        self.manifest_cursor: Callable[[], str] | None = None
        # The name and gate the venue's manager gave this device, as its latest answer said.
        self.assignment: Assignment | None = None
        self._http = httpx.Client(
            base_url=venue_url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            transport=transport,
            event_hooks={"request": [self._heartbeat], "response": [self._note_assignment]},
        )

    def _heartbeat(self, request: httpx.Request) -> None:
        """Every request tells the venue this device's clock and manifest cursor (see
        docs/protocol.md, device heartbeat headers)."""
        request.headers["X-Bilten-Device-Time"] = str(int(time.time() * 1000))
        if self.manifest_cursor is not None:
            cursor = self.manifest_cursor()
            if cursor.isascii() and cursor.isprintable() and len(cursor) <= 64:
                request.headers["X-Bilten-Manifest"] = cursor

    def _note_assignment(self, response: httpx.Response) -> None:
        told = assignment_from_headers(
            response.headers.get(NAME_HEADER), response.headers.get(GATE_HEADER)
        )
        if told is not None:
            self.assignment = told

    def close(self) -> None:
        self._http.close()

    def pair(self, request: PairRequest) -> PairResponse:
        return self._call("POST", f"{API}/pair", PairResponse, body=request)

    def manifest(self, cursor: str, limit: int) -> ManifestPage:
        return self._call(
            "GET", f"{API}/manifest", ManifestPage, params={"cursor": cursor, "limit": limit}
        )

    def push_scans(self, batch: ScanBatch) -> ScanAck:
        return self._call("POST", f"{API}/scans", ScanAck, body=batch)

    def scan_feed(self, cursor: str, limit: int) -> ScanFeed:
        return self._call(
            "GET", f"{API}/scans", ScanFeed, params={"cursor": cursor, "limit": limit}
        )

    def _call(
        self,
        method: str,
        path: str,
        kind: type[M],
        body: Message | None = None,
        params: dict[str, Any] | None = None,
    ) -> M:
        try:
            response = self._http.request(
                method, path, content=None if body is None else encode(body), params=params
            )
        except httpx.TransportError as exc:
            raise VenueUnreachable(f"venue server unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise VenueRefused(response.status_code, _detail(response))
        return decode(response.content, kind)


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])[:200]
    return response.text[:200]


class SyncStatus(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    UNAUTHORIZED = "unauthorized"  # the venue revoked this device; pair it again
    ERROR = "error"  # the venue answered, but with something we could not use


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one sync round did, for the status line and the data-age display.

    ``last_synced`` is when the manifest was last pulled to its end (this round or an earlier
    one; None: never), so staff can see how old the revocations they rely on are.
    ``first_load`` says this round worked on a manifest that had never been complete: until it
    is, the gate knows only part of the venue's tickets.
    """

    status: SyncStatus
    detail: str = ""
    scans_pushed: int = 0
    tickets_pulled: int = 0
    scans_pulled: int = 0
    pending: int = 0
    at: float = 0.0
    last_synced: float | None = None
    first_load: bool = False

    @property
    def online(self) -> bool:
        return self.status is SyncStatus.ONLINE


@dataclass(slots=True)
class _Tally:
    """Counts of one round, kept as each step lands so a failure later still reports them."""

    pushed: int = 0
    tickets: int = 0
    relayed: int = 0
    upload_problem: str = ""


ClientFactory = Callable[[str, str | None], VenueClient]


def _default_client(venue_url: str, token: str | None) -> VenueClient:
    return VenueClient(venue_url, token)


class SyncService:
    """Keeps one device's store in step with its venue server."""

    def __init__(
        self,
        store: Store,
        clock: HybridClock | None = None,
        client_factory: ClientFactory = _default_client,
        *,
        page_limit: int = 1000,
        batch_size: int = 500,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._clock = clock
        self._client_factory = client_factory
        self._page_limit = page_limit
        self._batch_size = min(batch_size, MAX_BATCH)
        self._now = now

    def pair(
        self, venue_url: str, code: str, device_name: str, gate: str | None = None
    ) -> DeviceConfig:
        """Trade a one-time pairing code for a device token and remember it.

        Scans still pending from the pairing this one replaces go up first, with that
        pairing's token, while the gate still holds it (best effort: a revoked or unknown
        earlier pairing leaves them to the new one, which the venue accepts).

        Raises VenueUnreachable, VenueRefused (e.g. a used or expired code) or ProtocolError.
        """
        client = self._client_factory(venue_url, None)
        try:
            answer = client.pair(PairRequest(code=code, device_name=device_name))
        finally:
            client.close()
        self._hand_over(self._store.device())
        device = DeviceConfig(
            device_id=answer.device_id,
            device_token=answer.device_token,
            venue_url=venue_url.rstrip("/"),
            device_name=device_name,
            gate=answer.gate,
            venue_name=answer.venue_name,
        )
        self._store.save_device(device)
        if gate:
            # A gate named here is this device's own choice, as if set in its Settings: it
            # stays when the venue's manager moves the device.
            self._store.save_settings(replace(self._store.settings(), gate=gate))
        return device

    def _hand_over(self, previous: DeviceConfig | None) -> None:
        """Upload what the earlier pairing left pending, under its own token."""
        if previous is None or not self._store.pending_count():
            return
        client = self._client_factory(previous.venue_url, previous.device_token)
        try:
            self.push_scans(client)
        except (VenueUnreachable, VenueRefused, ProtocolError) as exc:
            log.info("scans of the earlier pairing stay pending for the new one: %s", exc)
        finally:
            client.close()

    def sync_once(self, progress: Progress | None = None) -> SyncReport:
        """Push own scans, then pull the manifest and other gates' scans. Never raises for
        the network or the venue's answers; only the local database failing raises.

        A refused upload does not stop the pulls: a gate whose scans the venue will not take
        must still learn of revocations. Only a device the venue no longer accepts (401/403)
        or a venue that cannot be reached ends the round early.
        """
        device = self._store.device()
        if device is None:
            return self._report(SyncStatus.ERROR, str(NotPaired()))
        first_load = self._store.last_synced() is None
        tally = _Tally()
        client = self._client_factory(device.venue_url, device.device_token)
        client.manifest_cursor = lambda: self._store.cursor(MANIFEST_CURSOR)
        try:
            self._push_or_note(client, tally)
            self._pull_manifest(client, progress, tally)
            tally.relayed = self.pull_feed(client)
        except VenueUnreachable as exc:
            return self._report(SyncStatus.OFFLINE, str(exc), tally, first_load)
        except VenueRefused as exc:
            status = SyncStatus.UNAUTHORIZED if exc.unauthorized else SyncStatus.ERROR
            return self._report(status, str(exc), tally, first_load)
        except ProtocolError as exc:
            log.warning("venue sent an unusable answer: %s", exc)
            return self._report(SyncStatus.ERROR, str(exc), tally, first_load)
        finally:
            client.close()
            self._take_assignment(device, client.assignment)
        if tally.upload_problem:
            return self._report(SyncStatus.ERROR, tally.upload_problem, tally, first_load)
        return self._report(SyncStatus.ONLINE, "", tally, first_load)

    def _take_assignment(self, device: DeviceConfig, told: Assignment | None) -> None:
        """Keep the name and gate the venue's manager gave this device, when they changed."""
        if told is None or (told.device_name, told.gate) == (device.device_name, device.gate):
            return
        log.info(
            "the venue moved this device: now %r at gate %r (was %r at gate %r)",
            told.device_name,
            told.gate,
            device.device_name,
            device.gate,
        )
        self._store.set_assignment(told.device_name, told.gate)

    def _push_or_note(self, client: VenueClient, tally: _Tally) -> None:
        """Upload pending scans; a refused batch is noted for the report (its scans stay
        pending) instead of ending the round.

        Only 401 means the venue no longer knows this device. A 403 on upload refuses the
        scans, not the device (e.g. scans made under an earlier pairing); the pulls, made
        with the same token, still end the round as unauthorized if the device was revoked.
        """
        try:
            self._push(client, tally)
        except VenueRefused as exc:
            if exc.status_code == 401:
                raise
            tally.upload_problem = f"scans not uploaded, will retry: {exc}"
        except ProtocolError as exc:
            tally.upload_problem = f"scans not uploaded, will retry: the venue's answer: {exc}"
        if tally.upload_problem:
            log.warning("%s", tally.upload_problem)

    def push_scans(self, client: VenueClient) -> int:
        """Upload pending own scans in batches; only ids the venue acknowledged count."""
        tally = _Tally()
        self._push(client, tally)
        return tally.pushed

    def pull_manifest(self, client: VenueClient, progress: Progress | None = None) -> int:
        """Pull manifest pages from the stored cursor to the end; returns the entries pulled.

        Each page lands in one transaction with the cursor that follows it, so a load cut
        off anywhere (network, crash, kill) resumes at the first page not yet stored. Reaching
        the end is recorded as the time the gate's ticket list was last complete.
        """
        tally = _Tally()
        self._pull_manifest(client, progress, tally)
        return tally.tickets

    def _push(self, client: VenueClient, tally: _Tally) -> None:
        while True:
            pending = self._store.pending_scans(self._batch_size)
            if not pending:
                return
            ack = client.push_scans(ScanBatch(scans=pending))
            sent = {record.scan_id for record in pending}
            acked = [scan_id for scan_id in ack.acked if scan_id in sent]
            self._store.mark_uploaded(acked)
            tally.pushed += len(acked)
            if len(acked) < len(pending):
                # The venue held back some; retry them on the next round, not in a tight loop.
                return

    def _pull_manifest(self, client: VenueClient, progress: Progress | None, tally: _Tally) -> None:
        # A first load defers the attendee-search index to its end (one rebuild is far
        # cheaper than indexing a million tickets row by row); the list stays incomplete
        # until the last page, so whether this is a first load is known before the loop.
        first_load = self._store.last_synced() is None
        while True:
            cursor = self._store.cursor(MANIFEST_CURSOR)
            page = client.manifest(cursor, self._page_limit)
            for entry in page.keys:
                try:
                    VerifyKey.from_entry(entry)
                except ValueError as exc:
                    raise ProtocolError(f"manifest key {entry.key_id} is unusable: {exc}") from exc
            self._store.apply_manifest_page(page, index_search=not first_load)
            tally.tickets += len(page.tickets)
            if progress is not None:
                progress(tally.tickets, _remaining(page))
            if not page.has_more:
                self._store.mark_synced(self._now())
                return
            if page.next_cursor == cursor and not page.tickets:
                raise ProtocolError("manifest says there is more but its cursor does not move")

    def pull_feed(self, client: VenueClient) -> int:
        inserted = 0
        while True:
            feed = client.scan_feed(self._store.cursor(FEED_CURSOR), self._page_limit)
            if self._clock is not None:
                for record in feed.scans:
                    self._clock.observe(Hlc.parse(record.hlc))
            inserted += self._store.add_feed_scans(feed.scans, feed.next_cursor)
            if not feed.has_more or not feed.scans:
                return inserted

    def _report(
        self,
        status: SyncStatus,
        detail: str = "",
        tally: _Tally | None = None,
        first_load: bool = False,
    ) -> SyncReport:
        tally = tally if tally is not None else _Tally()
        try:
            pending = self._store.pending_count()
            last_synced = self._store.last_synced()
        except ScannerError:
            pending, last_synced = -1, None
        return SyncReport(
            status,
            detail,
            tally.pushed,
            tally.tickets,
            tally.relayed,
            pending,
            self._now(),
            last_synced,
            first_load,
        )


def _remaining(page: ManifestPage) -> int:
    """Entries still to come after ``page``. A venue that says there is more but does not
    count it still gets a non-zero answer, so the gate never claims to be done too early."""
    if page.has_more:
        return max(page.remaining, 1)
    return 0
