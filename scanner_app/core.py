"""The gate's decision loop without Qt: read a string, judge it, record it durably, answer.

The rules themselves live in ``shared.rules``; this object only feeds them what the device
knows (keys, the events it serves, how staff set the gate up, the ticket's manifest entry and
its earlier movements) and makes the resulting scan record durable before the caller may show
anything. Attendee search and manual admission go through the same rules.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scanner_app.errors import NotPaired, ScannerError
from scanner_app.store import DeviceConfig, GateSettings, Store
from shared.clock import Hlc, HybridClock
from shared.errors import KeyFileError, TokenRejected
from shared.ids import new_scan_id
from shared.keys import Keyring, VerifyKey
from shared.messages import ScanRecord, TicketEntry
from shared.reasons import Reason, Severity
from shared.rules import (
    GatePolicy,
    ListedTicket,
    Presence,
    TicketInfo,
    Verdict,
    decide,
    judge,
    replay,
)
from shared.token import parse_token

log = logging.getLogger(__name__)

MAX_RAW_CHARS = 512
# The longest gate, zone or staff text a scan record carries (the protocol's limit): one
# over-long setting must not make every later upload of this gate unsendable.
MAX_TEXT = 200
STATS_WINDOW_MINUTES = 15


class ManualAdmitRefused(ScannerError):
    """Staff may overrule a verdict that asks for judgement, never one that refuses."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(f"cannot admit by hand: {verdict.reason.label}")
        self.verdict = verdict


@dataclass(frozen=True, slots=True)
class Attendee:
    """A search hit: the ticket, what the rules would say at this gate now, and its history."""

    ticket: TicketEntry
    verdict: Verdict
    presence: Presence


@dataclass(frozen=True, slots=True)
class DeviceStats:
    """This device's own scans: today's totals and the scans of each recent minute."""

    admitted: int
    rejected: int
    attention: int
    exits: int
    per_minute: tuple[int, ...]  # oldest first, the current minute last

    @property
    def last_minute(self) -> int:
        return self.per_minute[-1] if self.per_minute else 0


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
        self._event_ids: frozenset[int] = frozenset()
        self.settings: GateSettings = store.settings()
        # The record of the latest scan this core committed (for the gate log and the UI).
        self.last_scan: ScanRecord | None = None
        # After a restart the wall clock may have gone back; never stamp below what we wrote.
        latest = store.latest_hlc()
        if latest is not None:
            clock.observe(Hlc.parse(latest))

    @property
    def store(self) -> Store:
        return self._store

    @property
    def gate(self) -> str:
        """The gate set on this device (Settings), else the one the venue's manager gave it."""
        self._refresh()
        return self.settings.gate or self.device.gate

    @property
    def policy(self) -> GatePolicy:
        self._refresh()
        return GatePolicy(
            self._event_ids, self.settings.direction, self.settings.zone, self.settings.type_ids
        )

    def configure(self, settings: GateSettings) -> None:
        """Save how staff set the gate up; the next scan is judged by it."""
        self._store.save_settings(settings)
        self.settings = settings

    def scan(self, raw: str) -> Verdict:
        """Judge ``raw`` as read at the gate. The scan is committed when this returns.

        Any input, however malformed, gets a verdict. Only a failing local database raises
        (``StoreError``): then nothing was recorded and no verdict may be shown.
        """
        token = raw.strip()
        now = self._now()
        policy = self.policy  # refreshes the keyring first when a sync changed the keys
        with self._store.atomic():
            verdict = judge(token, self._keyring, self._lookup, policy, int(now))
            self._commit(self._record(verdict, now, token=token))
        return verdict

    def search(self, text: str, limit: int = 50) -> list[Attendee]:
        """Tickets found by holder name, email, order number or ticket id, each with what
        the rules say about it at this gate right now."""
        policy = self.policy
        now = int(self._now())
        found = []
        for entry in self._store.search_tickets(text, limit):
            info = TicketInfo.of(entry)
            history = self._store.movements(entry.ticket_id)
            verdict = decide(ListedTicket.of(entry), info, history, policy, now)
            found.append(Attendee(entry, verdict, replay(history, info.max_entries, info.reentry)))
        return found

    def admit_manually(self, ticket_ref: str, note: str, *, overrule: bool = False) -> Verdict:
        """Admit (or let out) a ticket staff found by search, recorded as manual with their
        reason. A verdict that needs judgement (already admitted, wrong gate, too early) is
        overruled only when ``overrule`` is set; a refusal (revoked, another event, expired)
        never is. Returns the recorded verdict; raises ManualAdmitRefused when nothing was
        recorded."""
        if not note.strip():
            raise ScannerError("a manual admission needs the reason")
        policy = self.policy
        with self._store.atomic():
            entry = self._store.ticket(ticket_ref)
            if entry is None:
                raise ScannerError(f"ticket {ticket_ref} is not in this gate's list")
            now = self._now()
            info = TicketInfo.of(entry)
            history = self._store.movements(ticket_ref)
            verdict = decide(ListedTicket.of(entry), info, history, policy, int(now))
            if verdict.severity is Severity.ATTENTION and overrule:
                verdict = Verdict(
                    Reason.ADMITTED,
                    f"overruled: {verdict.reason.value}",
                    None,
                    info,
                    verdict.previous,
                    verdict.entries + 1,
                )
            elif verdict.severity is not Severity.ADMIT:
                raise ManualAdmitRefused(verdict)
            self._commit(self._record(verdict, now, listed=entry, note=note.strip()[:500]))
        return verdict

    def stats(self, minutes: int = STATS_WINDOW_MINUTES) -> DeviceStats:
        """Today's totals at this device (since local midnight) and recent scans per minute."""
        now = self._now()
        local = time.localtime(now)
        midnight = time.mktime((*local[:3], 0, 0, 0, 0, 0, -1))
        counts = self._store.own_counts(int(midnight * 1000))
        this_minute = int(now // 60)
        per_minute = self._store.own_per_minute((this_minute - minutes + 1) * 60_000)
        severities = dict.fromkeys(Severity, 0)
        for reason, count in counts.items():
            if reason is not Reason.EXITED:
                severities[reason.severity] += count
        return DeviceStats(
            admitted=severities[Severity.ADMIT],
            rejected=severities[Severity.REJECT],
            attention=severities[Severity.ATTENTION],
            exits=counts.get(Reason.EXITED, 0),
            per_minute=tuple(
                per_minute.get(m, 0) for m in range(this_minute - minutes + 1, this_minute + 1)
            ),
        )

    def _refresh(self) -> None:
        """Rebuild the keyring and gate policy, and reread the device's name and gate, only
        when a sync changed them."""
        generation = self._store.generation
        if generation == self._generation:
            return
        self.device = self._store.device() or self.device
        keyring = Keyring()
        for entry in self._store.public_keys():
            try:
                keyring.add(VerifyKey.from_entry(entry))
            except (ValueError, KeyFileError) as exc:
                # One bad key must not stop the gate; its tickets read as unknown-key (amber).
                log.warning("ignoring public key %s: %s", entry.key_id, exc)
        self._keyring = keyring
        self._event_ids = frozenset(e.event_id for e in self._store.events())
        self._generation = generation

    def _lookup(self, ticket_ref: str) -> tuple[TicketInfo | None, Sequence[ScanRecord]]:
        entry = self._store.ticket(ticket_ref)
        info = None if entry is None else TicketInfo.of(entry)
        return info, self._store.movements(ticket_ref)

    def _commit(self, record: ScanRecord) -> None:
        self._store.add_own_scan(record)
        self.last_scan = record

    def _record(
        self,
        verdict: Verdict,
        now: float,
        *,
        token: str = "",
        listed: TicketEntry | None = None,
        note: str | None = None,
    ) -> ScanRecord:
        """The scan record of a verdict on a token read at the gate, or on a ticket staff
        found in the list (``listed``, a manual scan with their ``note``)."""
        named = (listed.event_id, listed.ticket_id) if listed else _named_ticket(token, verdict)
        self._refresh()  # the name and gate as the venue last gave them
        return ScanRecord(
            scan_id=new_scan_id(),
            device_id=self.device.device_id,
            device_name=self.device.device_name,
            gate=self.gate[:MAX_TEXT],
            hlc=self._clock.now().encode(),
            scanned_at_ms=int(now * 1000),
            reason=verdict.reason,
            event_id=named[0] if named else None,
            ticket_id=named[1] if named else None,
            raw=None if named else _printable(token),
            direction=self.settings.direction,
            zone=self.settings.zone[:MAX_TEXT],
            manual=listed is not None,
            note=note,
            staff=self.settings.staff[:MAX_TEXT],
        )


def _named_ticket(token: str, verdict: Verdict) -> tuple[int, str] | None:
    """The event and ticket a token names. Forged and unknown-key tokens still name one; it
    is kept for investigation."""
    claims = verdict.claims
    if claims is None and verdict.reason is not Reason.UNREADABLE:
        try:
            claims = parse_token(token)[0]
        except TokenRejected:
            return None
    return None if claims is None else (claims.event_id, claims.ticket_ref)


def _printable(text: str) -> str:
    """What was read, safe to store and send: valid UTF-8 without NUL (which the protocol
    refuses, as PostgreSQL cannot store it), at most MAX_RAW_CHARS."""
    clean = text.encode("utf-8", "replace").decode("utf-8", "replace").replace("\x00", "\ufffd")
    return clean[:MAX_RAW_CHARS]
