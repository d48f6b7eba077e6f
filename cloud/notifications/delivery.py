"""One delivery pass of one channel of the outbox: claim a due message, send it, record the
outcome, repeat. Email and text messages share this machinery (retries with backoff, dead
letters), each with its own courier (cloud.notifications.couriers).

Delivery is at least once. A worker that dies after the server accepted a message but
before it recorded that lets the claim lapse (``RetryPolicy.lease_s``), and the message is
sent again once. Both copies carry the same id (an email's Message-ID, a text's
Idempotency-Key), so a receiver that dedupes on it shows one."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from cloud.notifications.couriers import Courier
from cloud.notifications.failures import SendFailed
from cloud.notifications.models import Channel
from cloud.notifications.outbox import Claimed, claim_next, mark_dead, mark_retry, mark_sent
from cloud.notifications.render import RenderFailed

# One logger per channel, so an operator can follow email and texts apart.
LOGGERS = {
    Channel.EMAIL: logging.getLogger("bilten.cloud.email"),
    Channel.SMS: logging.getLogger("bilten.cloud.sms"),
}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: the n-th failure waits between half and all of
    ``base_s * 2**(n-1)`` (capped at ``max_delay_s``), so messages that failed together do not
    come back together. After ``max_attempts`` attempts a message is dead."""

    max_attempts: int = 8
    base_s: int = 60
    max_delay_s: int = 3600
    # Longer than any SMTP exchange can take (timeouts are 30 s per step).
    lease_s: int = 600

    def delay_s(self, attempts: int, rng: random.Random) -> int:
        ceiling = min(self.max_delay_s, self.base_s * 2 ** (attempts - 1))
        return max(1, int(ceiling / 2 + rng.uniform(0, ceiling / 2)))


@dataclass(slots=True)
class PassReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.sent or self.retried or self.dead)


@dataclass(slots=True)
class Delivery:
    """What a pass needs, injected so tests choose the clock, the dice and the server."""

    sessions: sessionmaker[Session]
    courier: Courier
    clock: Callable[[], int]
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rng: random.Random = field(default_factory=random.Random)

    @property
    def log(self) -> logging.Logger:
        return LOGGERS[self.courier.channel]

    def run_pass(self, limit: int = 200) -> PassReport:
        """Send up to ``limit`` due messages. Stops early when the server cannot be reached:
        the others would fail the same way, and they stay due for the next pass."""
        report = PassReport()
        try:
            for _ in range(limit):
                with self.sessions() as session:
                    claimed = claim_next(
                        session,
                        now=self.clock(),
                        lease_s=self.policy.lease_s,
                        channel=self.courier.channel,
                    )
                if claimed is None:
                    break
                if not self._deliver(claimed, report):
                    break
        finally:
            self.courier.close()
        return report

    def _deliver(self, claimed: Claimed, report: PassReport) -> bool:
        """Send one message and record the outcome; False when the server is unreachable."""
        if claimed.attempts > self.policy.max_attempts:
            # Only a worker that died mid-send on every earlier attempt gets here.
            self._dead(claimed, "the worker stopped while sending it on every attempt", report)
            return True
        try:
            self.courier.send(claimed)
        except RenderFailed as exc:
            self._dead(claimed, exc.detail, report)
            return True
        except SendFailed as exc:
            if exc.permanent or claimed.attempts >= self.policy.max_attempts:
                self._dead(claimed, exc.detail, report)
            else:
                self._retry(claimed, exc.detail, report)
            return not exc.connection
        with self.sessions() as session:
            mark_sent(session, claimed.id, now=self.clock())
        report.sent += 1
        self.log.info(
            "sent %s %s (%s) to %s",
            claimed.channel,
            claimed.id,
            claimed.template,
            claimed.recipient,
        )
        return True

    def _retry(self, claimed: Claimed, error: str, report: PassReport) -> None:
        at = self.clock() + self.policy.delay_s(claimed.attempts, self.rng)
        with self.sessions() as session:
            mark_retry(session, claimed.id, error=error, at=at)
        report.retried += 1
        self.log.warning(
            "%s %s (%s) not sent, attempt %d of %d, retrying in %d s: %s",
            claimed.channel,
            claimed.id,
            claimed.template,
            claimed.attempts,
            self.policy.max_attempts,
            at - self.clock(),
            error,
        )

    def _dead(self, claimed: Claimed, error: str, report: PassReport) -> None:
        with self.sessions() as session:
            mark_dead(session, claimed.id, error=error)
        report.dead += 1
        self.log.error(
            "%s %s (%s) to %s given up after %d attempts: %s "
            "(listed by `bilten cloud outbox --dead` and on /admin/outbox)",
            claimed.channel,
            claimed.id,
            claimed.template,
            claimed.recipient,
            claimed.attempts,
            error,
        )
