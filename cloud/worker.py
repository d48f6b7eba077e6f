"""The background worker process: periodic jobs over the cloud database."""

from __future__ import annotations

import logging
import signal
from datetime import UTC, datetime
from types import FrameType

from cloud.asks.service import answer_waiting
from cloud.clock import now_s
from cloud.db import make_engine, make_session_factory
from cloud.migrate import prepare
from cloud.notifications.jobs import delivery_job, email_delivery, text_delivery
from cloud.orders.jobs import expire_unpaid_orders, release_expired_holds
from cloud.orders.payments import provider_lookup
from cloud.orders.waitlist import tell_waiting
from cloud.retention import purge
from cloud.scans.conflicts import detect_conflicts
from cloud.settings import CloudSettings

log = logging.getLogger("bilten.cloud.worker")

# The clean-up (cloud.retention) runs at start and then hourly: nothing it removes is urgent.
RETENTION_INTERVAL_S = 3600
# The worker's jobs run one at a time each, six at most together: it needs no more
# connections than this, whatever BILTEN_DATABASE_POOL gives the API processes.
WORKER_POOL = 10


def run_worker(settings: CloudSettings, *, once: bool = False) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler

    engine = make_engine(settings.database_url, pool=min(WORKER_POOL, settings.database_pool))
    prepare(engine, embedded=settings.is_embedded_database)
    sessions = make_session_factory(engine)
    deliveries = {
        "deliver-email": email_delivery(settings, sessions),
        "deliver-text-messages": text_delivery(settings, sessions),
    }

    def conflicts_job() -> None:
        added = detect_conflicts(sessions)
        if added:
            log.info("flagged %d conflicting admissions", added)

    def holds_job() -> None:
        released = release_expired_holds(sessions)
        if released:
            log.info("released %d expired holds back to stock", released)

    providers = provider_lookup(settings)

    def unpaid_job() -> None:
        expired = expire_unpaid_orders(sessions, providers, settings.pending_order_seconds)
        if expired:
            log.info("cancelled %d unpaid orders; their seats are back on sale", expired)

    def waitlist_job() -> None:
        told = tell_waiting(sessions, now_s(), settings.public_url)
        if told:
            log.info("told %d addresses on waiting lists that tickets are available", told)

    def asks_job() -> None:
        answered = answer_waiting(sessions, settings, now_s())
        if answered:
            log.info("did the work of %d asks their answering process left", answered)

    def retention_job() -> None:
        purged = purge(sessions, now_s())
        if purged.total:
            log.info(
                "cleaned up %d expired sessions, %d refresh tokens, %d email links, "
                "%d old messages and %d expired holds",
                purged.sessions,
                purged.refresh_tokens,
                purged.account_tokens,
                purged.messages,
                purged.holds,
            )

    periodic = {
        "detect-conflicts": conflicts_job,
        "release-expired-holds": holds_job,
        "expire-unpaid-orders": unpaid_job,
        "tell-waiting-lists": waitlist_job,
        "answer-asks": asks_job,
    }
    if once:
        for job in (*periodic.values(), retention_job):
            job()
        for delivery in deliveries.values():
            delivery_job(delivery)
        engine.dispose()
        return
    scheduler = BlockingScheduler()
    for job_id, job in periodic.items():
        scheduler.add_job(
            job,
            "interval",
            seconds=settings.worker_interval_s,
            id=job_id,
            max_instances=1,
            coalesce=True,
        )
    scheduler.add_job(
        retention_job,
        "interval",
        seconds=RETENTION_INTERVAL_S,
        id="clean-up",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )
    for job_id, delivery in deliveries.items():
        # Each channel in its own job: a slow mail server never holds texts back.
        scheduler.add_job(
            delivery_job,
            "interval",
            args=[delivery],
            seconds=settings.worker_interval_s,
            id=job_id,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )

    def stop(_signum: int, _frame: FrameType | None) -> None:
        # A job under way finishes first (an email pass is at most 200 messages, each
        # recorded as it goes), so a stop does not leave a message claimed until its lease
        # runs out; compose's stop_grace_period leaves room for it.
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    conflicts_job()
    try:
        scheduler.start()
    finally:
        engine.dispose()
