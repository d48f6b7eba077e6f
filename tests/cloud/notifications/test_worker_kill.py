"""The cloud worker killed with SIGKILL in the middle of delivering email, again and again:
nothing is lost, and nothing is doubled beyond the documented at-least-once (a message the
server had taken when the worker died goes again once, with the same Message-ID).

The worker runs as a real process (``bilten cloud worker --once``) against a real SMTP
server that takes its time before accepting each message; each kill lands while a message is
on the wire. After the kills, the lease of the messages in flight runs out (the clock is moved
past it) and a last pass sends what is left."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cloud.db import make_engine, make_session_factory
from cloud.notifications.couriers import EmailCourier
from cloud.notifications.delivery import Delivery, RetryPolicy
from cloud.notifications.mailers import SmtpMailer
from cloud.notifications.models import OutboxMessage
from cloud.settings import CloudSettings
from tests.cloud.notifications.conftest import SENDER, SmtpServer, SmtpSink, running_smtp
from tests.cloud.notifications.test_worker_cli import BILTEN, queue_for
from tests.support import LONG, figure

pytestmark = pytest.mark.slow

MESSAGES = 60 if LONG else 12
KILLS = 10 if LONG else 3


class SlowSink(SmtpSink):
    """Takes each message, then waits before saying so: a kill in that moment leaves the
    message delivered here but not recorded as sent by the worker."""

    def __init__(self) -> None:
        super().__init__()
        self.in_data = threading.Event()
        self.delay_s = 0.4

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        self.in_data.set()
        await asyncio.sleep(self.delay_s)
        self.in_data.clear()
        return answer


@pytest.fixture
def slow_smtp() -> Iterator[SmtpServer]:
    with running_smtp(SlowSink()) as server:
        yield server


def _worker(data: Path, smtp: SmtpServer) -> subprocess.Popen[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BILTEN_")}
    return subprocess.Popen(
        [BILTEN, "cloud", "worker", "--once", "--data", str(data)],
        env={**clean, "BILTEN_SMTP_URL": smtp.url, "BILTEN_MAIL_FROM": SENDER},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_worker_killed_mid_delivery_loses_nothing_and_repeats_only_with_the_same_id(
    slow_smtp: SmtpServer, tmp_path: Path
) -> None:
    recipients = [f"buyer{n}@example.org" for n in range(MESSAGES)]
    queue_for(tmp_path, *recipients)
    sink = slow_smtp.sink
    assert isinstance(sink, SlowSink)

    kills = 0
    for _ in range(KILLS):
        worker = _worker(tmp_path, slow_smtp)
        # Let a message or two through, then kill while the next one is on the wire.
        before = len(sink.received)
        deadline = time.monotonic() + 60
        while (len(sink.received) <= before + 1 or not sink.in_data.is_set()) and (
            worker.poll() is None and time.monotonic() < deadline
        ):
            time.sleep(0.01)
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
            kills += 1
        worker.wait(timeout=30)

    # The leases of the messages in flight lapse; a worker sends what is left.
    sink.delay_s = 0
    settings = CloudSettings.from_env(tmp_path, environ={})
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    later = int(time.time()) + RetryPolicy().lease_s + 1
    delivery = Delivery(
        sessions=sessions,
        courier=EmailCourier(SmtpMailer(slow_smtp.settings()), SENDER),
        clock=lambda: later,
    )
    while delivery.run_pass().busy:
        pass
    with sessions() as session:
        unsent = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
    engine.dispose()

    ids = Counter(r.message["Message-ID"] for r in sink.received)
    to_of = {r.message["Message-ID"]: r.rcpt_tos for r in sink.received}
    copies_agree = all(r.rcpt_tos == to_of[r.message["Message-ID"]] for r in sink.received)
    figure(
        "cloud worker SIGKILL",
        messages=MESSAGES,
        kills=kills,
        delivered=len(set(ids)),
        repeated=sum(n - 1 for n in ids.values()),
        lost=MESSAGES - len(set(ids)),
    )
    assert kills >= 1
    assert unsent == 0
    assert sorted(recipients) == sorted(tos[0] for tos in to_of.values())
    assert len(ids) == MESSAGES, "every message arrived, each under its own Message-ID"
    assert copies_agree, "a repeated Message-ID is the same message"
    # At least once, and again only for a message on the wire when its worker died.
    assert sum(n - 1 for n in ids.values()) <= kills
