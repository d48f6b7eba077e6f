"""The background worker process: periodic jobs over the cloud database."""

from __future__ import annotations

import logging
import signal
from types import FrameType

from cloud.db import make_engine, make_session_factory
from cloud.migrate import prepare
from cloud.scans.conflicts import detect_conflicts
from cloud.settings import CloudSettings

log = logging.getLogger("bilten.cloud.worker")


def run_worker(settings: CloudSettings, *, once: bool = False) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler

    engine = make_engine(settings.database_url)
    prepare(engine, embedded=settings.is_embedded_database)
    sessions = make_session_factory(engine)

    def conflicts_job() -> None:
        added = detect_conflicts(sessions)
        if added:
            log.info("flagged %d conflicting admissions", added)

    if once:
        conflicts_job()
        engine.dispose()
        return
    scheduler = BlockingScheduler()
    scheduler.add_job(
        conflicts_job,
        "interval",
        seconds=settings.worker_interval_s,
        id="detect-conflicts",
        max_instances=1,
        coalesce=True,
    )

    def stop(_signum: int, _frame: FrameType | None) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    conflicts_job()
    try:
        scheduler.start()
    finally:
        engine.dispose()
