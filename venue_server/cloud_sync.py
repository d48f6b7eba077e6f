"""The venue's link to the cloud: manifest pages down, scans up, retried with backoff.

A round pulls manifest pages until the cloud says there are no more, each page applied in one
transaction together with its cursor (a crash resumes from the last applied page), then
uploads pending scans in batches and marks uploaded only what the cloud acknowledged, pulling
again between batches once a sync interval has passed, so revocations never wait behind a
long upload. Each round's outcome is kept for the stale-data alert.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpx
import msgspec
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from shared.errors import ProtocolError
from shared.messages import ManifestPage, ScanAck, ScanBatch, decode, encode
from venue_server.errors import CloudError, CloudRefused, CloudUnreachable, NotPaired
from venue_server.settings import VenueSettings
from venue_server.store import CloudLink, VenueStore

log = logging.getLogger(__name__)

MANIFEST_PAGE_LIMIT = 1000
# A cloud that keeps saying has_more must still let the round end and the uploads run.
MAX_PAGES_PER_ROUND = 10_000


class VenueIdentity(msgspec.Struct, frozen=True):
    venue_id: int | str
    name: str


class CloudClient:
    """The cloud's venue API, as this venue's key sees it."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        try:
            self._http = httpx.Client(
                base_url=base_url.rstrip("/"),
                headers={"Authorization": f"Bearer {api_key}"},
                timeout=timeout,
                transport=transport,
            )
        except httpx.InvalidURL as exc:
            raise CloudError(f"invalid cloud URL {base_url!r}: {exc}") from exc

    def __enter__(self) -> CloudClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> bytes:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise CloudUnreachable(
                f"cannot reach the cloud at {self._http.base_url}: {exc or type(exc).__name__}"
            ) from exc
        except httpx.InvalidURL as exc:
            raise CloudError(f"invalid cloud URL: {exc}") from exc
        if response.status_code in (401, 403):
            raise CloudRefused(f"the cloud refused the venue key ({response.status_code})")
        if response.status_code >= 400:
            raise CloudError(
                f"cloud answered {response.status_code} to {method} {path}: {response.text[:200]}"
            )
        return response.content

    def me(self) -> VenueIdentity:
        body = self._request("GET", "/api/v1/venue/me")
        try:
            return msgspec.json.decode(body, type=VenueIdentity)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise ProtocolError(f"the cloud's venue identity is not understood: {exc}") from exc

    def manifest(self, cursor: str, limit: int = MANIFEST_PAGE_LIMIT) -> ManifestPage:
        body = self._request(
            "GET", "/api/v1/venue/manifest", params={"cursor": cursor, "limit": limit}
        )
        return decode(body, ManifestPage)

    def upload(self, batch: ScanBatch) -> ScanAck:
        body = self._request(
            "POST",
            "/api/v1/venue/scans",
            content=encode(batch),
            headers={"Content-Type": "application/json"},
        )
        return decode(body, ScanAck)


def apply_manifest_page(store: VenueStore, page: ManifestPage) -> int:
    """Apply one page and its cursor atomically; returns how many tickets changed."""
    return store.apply_manifest(page.events, page.keys, page.tickets, page.next_cursor)


def _never() -> bool:
    return False


Progress = Callable[[int, int], None]
"""Called after each applied manifest page with (entries received so far in this pull, entries
the cloud says remain after that page); ``remaining`` is 0 on the last page."""


@dataclass(frozen=True, slots=True)
class PullResult:
    pages: int
    entries: int
    # False when the pull was ended before the cloud had no more (the server is stopping).
    complete: bool = True


def pull_manifest(
    store: VenueStore,
    client: CloudClient,
    progress: Progress | None = None,
    tickets_changed: Callable[[], None] | None = None,
    stopping: Callable[[], bool] = _never,
) -> PullResult:
    """Follow the cloud's manifest from the stored cursor to its end.

    Each page lands with its cursor in one transaction, so a pull cut off anywhere (network,
    crash, SIGKILL) resumes at the first page not applied yet and applies nothing twice.
    ``tickets_changed`` is called after each page that changed tickets, once it is committed,
    so gates can be told of a refund at once rather than at their next poll. Once
    ``stopping()`` says so, the pull ends after the page under way.
    """
    entries = 0
    for pages in range(1, MAX_PAGES_PER_ROUND + 1):
        cursor = store.cloud_cursor()
        page = client.manifest(cursor)
        changed = apply_manifest_page(store, page)
        if changed and tickets_changed is not None:
            tickets_changed()
        entries += len(page.tickets)
        remaining = max(page.remaining, 1) if page.has_more else 0
        if page.tickets or page.has_more:
            log.info(
                "manifest page applied: %d tickets (%d changed), %d remaining",
                len(page.tickets),
                changed,
                remaining,
            )
        if progress is not None:
            progress(entries, remaining)
        if not page.has_more:
            return PullResult(pages, entries)
        if stopping():
            return PullResult(pages, entries, complete=False)
        if page.next_cursor == cursor:
            raise ProtocolError("the cloud's manifest says has_more but its cursor did not move")
    return PullResult(MAX_PAGES_PER_ROUND, entries)


def push_scans(
    store: VenueStore,
    client: CloudClient,
    batch_size: int,
    between_batches: Callable[[], None] | None = None,
    stopping: Callable[[], bool] = _never,
) -> int:
    """Upload pending scans oldest first; returns how many the cloud acknowledged.

    Only acknowledged ids are marked uploaded, after the cloud answered: a crash between the
    cloud's commit and that mark re-sends the batch, which the cloud stores nothing of twice.
    ``between_batches`` runs after each batch but the last, so a long backlog does not hold
    back anything else the round must do (revocations). Once ``stopping()`` says so, no
    further batch is sent: the one under way is answered and marked, the rest wait.
    """
    uploaded = 0
    while not stopping() and (pending := store.pending_scans(batch_size)):
        log.info("uploading %d scans to the cloud", len(pending))
        ack = client.upload(ScanBatch(scans=pending))
        sent = {record.scan_id for record in pending}
        acked = sent.intersection(ack.acked)
        store.mark_uploaded(acked)
        uploaded += len(acked)
        log.info("the cloud acknowledged %d scans (%d it already held)", len(acked), ack.duplicates)
        if len(acked) < len(sent):
            # Re-sending what the cloud just declined would spin; the next round retries it.
            raise CloudError(f"the cloud acknowledged {len(acked)} of {len(sent)} scans")
        if between_batches is not None and len(pending) == batch_size:
            between_batches()
    return uploaded


@dataclass(frozen=True, slots=True)
class SyncSnapshot:
    """What the sync rounds did so far, as /health, /metrics and the dashboard show it.

    ``manifest_as_of`` is when (by this machine's clock) the last complete manifest pull
    began: every ticket change the cloud committed before it (a revocation, say) is in the
    venue's manifest. ``pull_done`` and
    ``pull_remaining`` describe the pull in progress or the last one.
    """

    paired: bool
    last_success_at: float | None
    last_error: str | None
    last_error_at: float | None
    failures: int
    backoff_seconds: float
    scans_uploaded: int
    failures_total: int = 0
    manifest_as_of: float | None = None
    pull_done: int = 0
    pull_remaining: int = 0


class SyncStatus:
    """What the last rounds did, for /health and /metrics; shared between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paired = False
        self._last_success_at: float | None = None
        self._last_error: str | None = None
        self._last_error_at: float | None = None
        self._failures = 0
        self._failures_total = 0
        self._backoff = 0.0
        self._uploaded = 0
        self._manifest_as_of: float | None = None
        self._pull_done = 0
        self._pull_remaining = 0

    def succeeded(self, at: float, uploaded: int) -> None:
        with self._lock:
            self._paired = True
            self._last_success_at = at
            self._failures = 0
            self._backoff = 0.0
            self._uploaded += uploaded

    def failed(self, at: float, error: str, backoff: float, paired: bool = True) -> None:
        with self._lock:
            self._paired = paired
            self._last_error = error
            self._last_error_at = at
            self._failures += 1
            self._failures_total += 1
            self._backoff = backoff

    def pull_progress(self, done: int, remaining: int) -> None:
        with self._lock:
            self._pull_done = done
            self._pull_remaining = remaining

    def manifest_complete(self, as_of: float) -> None:
        with self._lock:
            self._manifest_as_of = as_of

    def restore(
        self, last_success_at: float | None, last_error: str | None, last_error_at: float | None
    ) -> None:
        """Start from what earlier runs recorded, unless this run already knows better."""
        with self._lock:
            if self._last_success_at is None:
                self._last_success_at = last_success_at
            later = last_error_at is not None and (last_error_at > (last_success_at or 0.0))
            if self._last_error is None and later:
                self._last_error, self._last_error_at = last_error, last_error_at

    def mark_paired(self, paired: bool) -> None:
        with self._lock:
            self._paired = paired

    def snapshot(self) -> SyncSnapshot:
        with self._lock:
            return SyncSnapshot(
                paired=self._paired,
                last_success_at=self._last_success_at,
                last_error=self._last_error,
                last_error_at=self._last_error_at,
                failures=self._failures,
                backoff_seconds=self._backoff,
                scans_uploaded=self._uploaded,
                failures_total=self._failures_total,
                manifest_as_of=self._manifest_as_of,
                pull_done=self._pull_done,
                pull_remaining=self._pull_remaining,
            )


ClientFactory = Callable[[CloudLink], CloudClient]


class SyncRunner:
    """One sync round per tick, skipping ticks while backing off after a failure.

    A round pulls the manifest, uploads pending scans, and pulls again whenever a sync
    interval has passed since the last pull began (between upload batches and at the end), so
    a revocation reaches the venue within about one interval even while days of offline scans
    are going up. ``tickets_changed`` hears of every applied page that changed tickets (the
    app passes its live feed's, which tells the gates).
    """

    def __init__(
        self,
        store: VenueStore,
        settings: VenueSettings,
        status: SyncStatus | None = None,
        *,
        client_factory: ClientFactory | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        tickets_changed: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self._tickets_changed = tickets_changed
        self.settings = settings
        self.status = status or SyncStatus()
        self._client_factory = client_factory or self._default_client
        self._monotonic = monotonic
        self._wall = wall
        self._next_attempt = 0.0
        self._last_pull = 0.0
        self._pulled = 0
        self._stopping = threading.Event()
        # A restart must not make days-old data look fresh, nor hide the last error.
        recorded = store.sync_state()
        self.status.restore(recorded.last_ok_at, recorded.last_error, recorded.last_error_at)

    def _default_client(self, link: CloudLink) -> CloudClient:
        return CloudClient(link.url, link.api_key, timeout=self.settings.http_timeout)

    def backoff_after(self, failures: int) -> float:
        """Wait after ``failures`` consecutive failures: doubling from the interval, capped."""
        exponent = min(failures, 32)
        return float(min(self.settings.sync_interval * 2**exponent, self.settings.max_backoff))

    def stop_after_batch(self) -> None:
        """The server is stopping: let the round under way finish the manifest page or scan
        batch it is exchanging (each lands whole), then end it; start no other."""
        self._stopping.set()

    def tick(self) -> bool:
        """Run a round unless backing off or stopping; returns whether a round ran."""
        if self._stopping.is_set() or self._monotonic() < self._next_attempt:
            return False
        self.run_once()
        return True

    def run_once(self) -> bool:
        """One full round; failures are recorded, never raised, so the schedule goes on."""
        link = self.store.cloud_link()
        try:
            if link is None:
                raise NotPaired("not paired with a cloud: run `bilten venue pair`")
            with self._client_factory(link) as client:
                self._pulled = 0
                self._pull(client)
                uploaded = push_scans(
                    self.store,
                    client,
                    self.settings.upload_batch,
                    between_batches=lambda: self._pull_if_due(client),
                    stopping=self._stopping.is_set,
                )
                if not self._stopping.is_set():
                    self._pull_if_due(client)
        except (CloudError, NotPaired, ProtocolError) as exc:
            failures = self.status.snapshot().failures + 1
            backoff = self.backoff_after(failures)
            self._next_attempt = self._monotonic() + backoff
            at = self._wall()
            self.status.failed(at, str(exc), backoff, paired=link is not None)
            self._record_result(ok=False, at=at, detail=str(exc))
            log.warning("cloud sync failed, next try in %.1fs: %s", backoff, exc)
            return False
        if self._stopping.is_set():
            # What was exchanged is stored; the rest waits for the next start.
            log.info("sync round ended early, the server is stopping: %d scans uploaded", uploaded)
            return False
        recovered = self.status.snapshot().failures
        self._next_attempt = 0.0
        at = self._wall()
        self.status.succeeded(at, uploaded)
        self._record_result(
            ok=True,
            at=at,
            detail=f"{self._pulled} ticket changes pulled, {uploaded} scans uploaded",
        )
        if recovered:
            log.info("cloud sync works again after %d failed rounds", recovered)
        return True

    def _pull(self, client: CloudClient) -> None:
        started_wall, self._last_pull = self._wall(), self._monotonic()
        result = pull_manifest(
            self.store, client, self._progress, self._tickets_changed, self._stopping.is_set
        )
        self._pulled += result.entries
        if result.complete:
            self.status.manifest_complete(started_wall)

    def _pull_if_due(self, client: CloudClient) -> None:
        due = self._monotonic() - self._last_pull >= self.settings.sync_interval
        if due and not self._stopping.is_set():
            self._pull(client)

    def _progress(self, done: int, remaining: int) -> None:
        self.status.pull_progress(done, remaining)
        self.store.record_pull_progress(done, remaining)

    def _record_result(self, *, ok: bool, at: float, detail: str) -> None:
        """Keep the round's outcome in the venue's database, so the manager's dashboard can
        warn that the tickets are stale, also after a restart."""
        self.store.record_sync_result(ok, at, detail)


class SyncScheduler:
    """Runs a SyncRunner on an APScheduler background thread while the app runs."""

    def __init__(self, runner: SyncRunner, interval: float) -> None:
        self._runner = runner
        self._scheduler = BackgroundScheduler(daemon=True)
        self._scheduler.add_job(
            runner.tick,
            IntervalTrigger(seconds=interval),
            id="cloud-sync",
            max_instances=1,
            coalesce=True,
            # Sync at start-up too, not one interval later.
            next_run_time=datetime.now(UTC),
            misfire_grace_time=None,
        )

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        """End the round under way after its current page or batch, and wait for that."""
        self._runner.stop_after_batch()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
