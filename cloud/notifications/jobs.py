"""The worker's email job, built from the cloud settings."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from cloud.clock import now_s
from cloud.notifications.delivery import Delivery
from cloud.notifications.mailers import FolderMailer, Mailer, SmtpMailer
from cloud.settings import CloudSettings

log = logging.getLogger("bilten.cloud.email")

MAIL_FOLDER = "mail"


def email_delivery(settings: CloudSettings, sessions: sessionmaker[Session]) -> Delivery:
    """SMTP when configured; otherwise every message lands as a file in ``<data>/mail``, and
    the worker says so once at start, so an unconfigured production server is noticed."""
    mailer: Mailer
    if settings.smtp is None:
        folder = settings.data_dir / MAIL_FOLDER
        log.warning(
            "email is not configured (set BILTEN_SMTP_URL); messages are written to %s "
            "instead of being sent",
            folder,
        )
        mailer = FolderMailer(folder)
    else:
        log.info("sending email through the SMTP server at %s", settings.smtp.address)
        mailer = SmtpMailer(settings.smtp)
    return Delivery(sessions=sessions, mailer=mailer, sender=settings.mail_from, clock=now_s)


def email_job(delivery: Delivery) -> None:
    report = delivery.run_pass()
    if report.busy:
        log.info(
            "email pass: %d sent, %d to retry, %d dead", report.sent, report.retried, report.dead
        )
