"""Dead letters from both channels against the real servers: a mail server that keeps
answering 451 and an SMS provider that keeps answering 503 get every attempt of the retry
policy, then the messages are dead, shown to platform admins with their last error, and a
retried one goes out once the server accepts again."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.notifications.couriers import EmailCourier, TextCourier
from cloud.notifications.delivery import Delivery, RetryPolicy
from cloud.notifications.mailers import SmtpMailer
from cloud.notifications.models import OutboxMessage
from cloud.notifications.outbox import enqueue_email, enqueue_text
from cloud.notifications.sms import HttpSmsSender
from cloud.settings import CloudSettings
from tests.cloud.admin.support import admin_headers
from tests.cloud.notifications.conftest import SENDER, Clock, SmtpServer
from tests.cloud.notifications.sms_sink import SmsSink

POLICY = RetryPolicy(max_attempts=3, base_s=10, max_delay_s=60)


def test_messages_that_keep_failing_die_after_the_last_attempt_and_an_admin_retries_one(
    sessions: sessionmaker[Session],
    smtp: SmtpServer,
    sms_sink: SmsSink,
    clock: Clock,
    client: TestClient[Any],
    settings: CloudSettings,
) -> None:
    with sessions() as session:
        enqueue_email(
            session,
            to="ada@example.org",
            template="verify_email",
            context={"name": "Ada", "verify_url": "https://shop.example/v"},
        )
        enqueue_text(
            session,
            to="+4915112345678",
            template="phone_code",
            context={"code": "123456"},
        )
        session.commit()
    smtp.sink.data_replies.extend(["451 4.3.2 System not accepting messages"] * 3)
    sms_sink.replies.extend([(503, "maintenance")] * 3)
    email = Delivery(sessions, EmailCourier(SmtpMailer(smtp.settings()), SENDER), clock, POLICY)
    text = Delivery(
        sessions, TextCourier(HttpSmsSender(sms_sink.settings()), SENDER), clock, POLICY
    )

    reports = []
    for _ in range(3):
        reports.append((email.run_pass(), text.run_pass()))
        clock.advance(POLICY.max_delay_s)

    assert [(e.retried, e.dead, t.retried, t.dead) for e, t in reports] == [
        (1, 0, 1, 0),
        (1, 0, 1, 0),
        (0, 1, 0, 1),
    ]
    assert smtp.sink.received == [] and len(sms_sink.received) == 3
    admin = admin_headers(client, settings)
    dead = client.get("/api/v1/admin/outbox", params={"dead": True}, headers=admin).json()
    by_channel = {m["channel"]: m for m in dead}
    assert set(by_channel) == {"email", "sms"}
    assert by_channel["email"]["attempts"] == 3
    assert "451 4.3.2 System not accepting messages" in by_channel["email"]["last_error"]
    assert "answered 503: maintenance" in by_channel["sms"]["last_error"]

    retried = client.post(
        f"/api/v1/admin/outbox/{by_channel['email']['message_id']}/retry", headers=admin
    )
    clock.advance(1)
    again = email.run_pass()

    assert retried.status_code == 200
    assert again.sent == 1
    [received] = smtp.sink.received
    assert received.rcpt_tos == ["ada@example.org"]
    with sessions() as session:
        sent = session.get(OutboxMessage, by_channel["email"]["message_id"])
        assert sent is not None and (sent.status, sent.attempts) == ("sent", 1)
