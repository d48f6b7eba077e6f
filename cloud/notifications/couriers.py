"""What carries a claimed outbox message out, one per channel: the email courier renders
the MIME message and hands it to a mailer (SMTP or a folder); the text courier renders the
SMS text and hands it to an SMS sender (the provider's HTTP API or a folder)."""

from __future__ import annotations

from typing import Protocol

from cloud.notifications.mailers import Mailer
from cloud.notifications.models import Channel
from cloud.notifications.outbox import Claimed
from cloud.notifications.render import render, render_text_message
from cloud.notifications.sms import SmsSender, TextMessage


class Courier(Protocol):
    @property
    def channel(self) -> str:
        """The outbox channel this courier delivers."""
        ...

    def send(self, claimed: Claimed) -> None:
        """Deliver ``claimed`` or raise ``RenderFailed`` (never deliverable) or
        ``SendFailed``."""

    def close(self) -> None:
        """End the pass's connection, if one is open."""


class EmailCourier:
    channel = Channel.EMAIL

    def __init__(self, mailer: Mailer, sender: str) -> None:
        self.mailer = mailer
        self.sender = sender

    def send(self, claimed: Claimed) -> None:
        message = render(
            message_id=claimed.id,
            sender=self.sender,
            recipient=claimed.recipient,
            template=claimed.template,
            context=claimed.context,
        )
        self.mailer.send(message)

    def close(self) -> None:
        self.mailer.close()


class TextCourier:
    channel = Channel.SMS

    def __init__(self, sms: SmsSender, sender: str) -> None:
        self.sms = sms
        self.sender = sender

    def send(self, claimed: Claimed) -> None:
        text = render_text_message(claimed.template, claimed.context)
        self.sms.send(TextMessage(claimed.id, claimed.recipient, self.sender, text))

    def close(self) -> None:
        self.sms.close()
