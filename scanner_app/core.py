"""The gate's decision loop without Qt: read a string, judge it, record it durably, answer.

The rules themselves live in ``shared.rules``; this object only feeds them what the device
knows (keys, the events it serves, the ticket's manifest entry and its earlier admissions) and
makes the resulting scan record durable before the caller may show anything.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from scanner_app.errors import NotPaired
from scanner_app.store import DeviceConfig, Store
from shared.clock import Hlc, HybridClock
from shared.errors import KeyFileError, TokenRejected
from shared.ids import new_scan_id
from shared.keys import Keyring, VerifyKey
from shared.messages import ScanRecord
from shared.reasons import Reason
from shared.rules import GatePolicy, TicketInfo, Verdict, judge
from shared.token import parse_token

log = logging.getLogger(__name__)

MAX_RAW_CHARS = 512


class ScannerCore:
    """Judges scans for one paired device and records each one before answering."""

    def __init__(
        self,
        store: Store,
        clock: HybridClock,
        now: Callable[[], float] = time.time,
    ) -> None:
        device = store.device()
        if device is None:
            raise NotPaired()
        self._store = store
        self._clock = clock
        self._now = now
        self.device: DeviceConfig = device
        self._generation = -1
        self._keyring = Keyring()
        self._policy = GatePolicy(frozenset())
        # After a restart the wall clock may have gone back; never stamp below what we wrote.
        latest = store.latest_hlc()
        if latest is not None:
            clock.observe(Hlc.parse(latest))

    @property
    def store(self) -> Store:
        return self._store

    def scan(self, raw: str) -> Verdict:
        """Judge ``raw`` as read at the gate. The scan is committed when this returns.

        Any input, however malformed, gets a verdict. Only a failing local database raises
        (``StoreError``): then nothing was recorded and no verdict may be shown.
        """
        token = raw.strip()
        self._refresh()
        now = self._now()
        verdict = judge(token, self._keyring, self._lookup, self._policy, int(now))
        self._store.add_own_scan(self._record(token, verdict, now))
        return verdict

    def _refresh(self) -> None:
        """Rebuild the keyring and gate policy only when a sync changed events or keys."""
        generation = self._store.generation
        if generation == self._generation:
            return
        keyring = Keyring()
        for entry in self._store.public_keys():
            try:
                keyring.add(VerifyKey.from_entry(entry))
            except (ValueError, KeyFileError) as exc:
                # One bad key must not stop the gate; its tickets read as unknown-key (amber).
                log.warning("ignoring public key %s: %s", entry.key_id, exc)
        self._keyring = keyring
        self._policy = GatePolicy(frozenset(e.event_id for e in self._store.events()))
        self._generation = generation

    def _lookup(self, ticket_ref: str) -> tuple[TicketInfo | None, Sequence[ScanRecord]]:
        entry = self._store.ticket(ticket_ref)
        info = (
            None
            if entry is None
            else TicketInfo(
                revoked=entry.revoked, holder_name=entry.holder_name, type_name=entry.type_name
            )
        )
        return info, self._store.admissions(ticket_ref)

    def _record(self, token: str, verdict: Verdict, now: float) -> ScanRecord:
        event_id: int | None = None
        ticket_id: str | None = None
        raw: str | None = None
        claims = verdict.claims
        if claims is None and verdict.reason is not Reason.UNREADABLE:
            # Forged or unknown-key tokens still name a ticket; keep it for investigation.
            try:
                claims = parse_token(token)[0]
            except TokenRejected:
                claims = None
        if claims is not None:
            event_id, ticket_id = claims.event_id, claims.ticket_ref
        else:
            raw = _printable(token)
        return ScanRecord(
            scan_id=new_scan_id(),
            device_id=self.device.device_id,
            device_name=self.device.device_name,
            gate=self.device.gate,
            hlc=self._clock.now().encode(),
            scanned_at_ms=int(now * 1000),
            reason=verdict.reason,
            event_id=event_id,
            ticket_id=ticket_id,
            raw=raw,
        )


def _printable(text: str) -> str:
    """What was read, safe to store and send: valid UTF-8, at most MAX_RAW_CHARS."""
    clean = text.encode("utf-8", "replace").decode("utf-8", "replace")
    return clean[:MAX_RAW_CHARS]
