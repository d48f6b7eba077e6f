"""The worker's message jobs (email and text messages), built from the cloud settings."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from cloud.clock import now_s
from cloud.notifications.couriers import EmailCourier, TextCourier
from cloud.notifications.delivery import LOGGERS, Delivery
from cloud.notifications.mailers import FolderMailer, Mailer, SmtpMailer
from cloud.notifications.models import Channel
from cloud.notifications.sms import FolderSmsSender, HttpSmsSender, SmsSender
from cloud.settings import CloudSettings

log = LOGGERS[Channel.EMAIL]
text_log = LOGGERS[Channel.SMS]

MAIL_FOLDER = "mail"
SMS_FOLDER = "sms"
# Shown as the sender of texts written to the folder (no provider, no sender name).
FOLDER_SMS_SENDER = "Bilten"


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
    return Delivery(
        sessions=sessions, courier=EmailCourier(mailer, settings.mail_from), clock=now_s
    )


def text_delivery(settings: CloudSettings, sessions: sessionmaker[Session]) -> Delivery:
    """The SMS provider when configured; otherwise texts land in ``<data>/sms``."""
    sender: SmsSender
    if settings.sms is None:
        folder = settings.data_dir / SMS_FOLDER
        text_log.warning(
            "text messages are not configured (set BILTEN_SMS_URL); they are written to %s "
            "instead of being sent",
            folder,
        )
        sender, shown_as = FolderSmsSender(folder), FOLDER_SMS_SENDER
    else:
        text_log.info("sending text messages through the provider at %s", settings.sms.address)
        sender, shown_as = HttpSmsSender(settings.sms), settings.sms.sender
    return Delivery(sessions=sessions, courier=TextCourier(sender, shown_as), clock=now_s)


def delivery_job(delivery: Delivery) -> None:
    report = delivery.run_pass()
    if report.busy:
        delivery.log.info(
            "%s pass: %d sent, %d to retry, %d dead",
            delivery.courier.channel,
            report.sent,
            report.retried,
            report.dead,
        )
