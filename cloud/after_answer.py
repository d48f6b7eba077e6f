"""Work a request does after its answer has gone, for answers that must not tell by their
timing what that work found (whether an address has an account, or bought tickets).

The work runs in a worker thread with a database session of its own, once the response is
sent; a failure is logged, as nobody is waiting for it any more. It runs in the process that
answered, so a crash at that moment loses it: only work the asker may simply ask for again
goes here (an emailed link, tickets emailed again), never anything they were told is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from litestar.background_tasks import BackgroundTask
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from cloud.errors import CloudError

log = logging.getLogger("bilten.cloud.after_answer")


def after_answer(
    sessions: sessionmaker[Session], what: str, work: Callable[[Session], Any]
) -> BackgroundTask:
    """A task for a response's ``background``: ``work(session)``, ``what`` naming it in the
    log line if it fails."""

    def run() -> None:
        try:
            with sessions() as session:
                work(session)
        except (SQLAlchemyError, CloudError):
            log.exception("%s failed after the answer had gone", what)

    return BackgroundTask(run)
