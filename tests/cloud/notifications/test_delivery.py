"""The worker's delivery pass against a real SMTP server: what arrives, retries with backoff,
dead letters, and two workers sharing one outbox."""

from __future__ import annotations

import io
import logging
import threading
import uuid
from email.message import EmailMessage
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.notifications.config import SmtpSettings
from cloud.notifications.couriers import EmailCourier
from cloud.notifications.delivery import Delivery, RetryPolicy
from cloud.notifications.mailers import SmtpMailer
from cloud.notifications.models import OutboxMessage
from cloud.notifications.outbox import enqueue_email
from tests.cloud.notifications.conftest import (
    PASSWORD,
    SENDER,
    Clock,
    SmtpServer,
    make_delivery,
)
from tests.support import free_port

TOKENS = ["B1QABCDEFGHJKMNPQRSTVWXYZ0123456789", "B1QZYXWVTSRQPNMKJHGFEDCBA9876543210"]


def order_context() -> dict[str, Any]:
    return {
        "order_ref": "ORD-7731",
        "holder_name": "Ada Lovelace",
        "event_name": "Night of <Strings> & Brass",
        "event_starts": "1 June 2030, 19:00",
        "tickets": [
            {"ticket_id": "TKT0000000000000001", "type_name": "Standing", "token": TOKENS[0]},
            {"ticket_id": "TKT0000000000000002", "type_name": "Balcony", "token": TOKENS[1]},
        ],
    }


def queue(
    sessions: sessionmaker[Session],
    to: str = "ada@example.org",
    template: str = "verify_email",
    context: dict[str, Any] | None = None,
) -> str:
    """Queue one email and return its outbox id (a fresh idempotency key finds it)."""
    key = str(uuid.uuid4())
    context = context or {"name": "Ada", "verify_url": "https://shop.example/verify?code=abc"}
    with sessions() as session:
        enqueue_email(session, to=to, template=template, context=context, idempotency_key=key)
        session.commit()
        return session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
        ).one()


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert part is not None, f"no {subtype} part"
    content: str = part.get_content()
    return content


def row(sessions: sessionmaker[Session], message_id: str) -> OutboxMessage:
    with sessions() as session:
        found = session.get(OutboxMessage, message_id)
        assert found is not None
        return found


def test_an_order_confirmation_arrives_with_text_html_and_a_readable_qr_per_ticket(
    sessions: sessionmaker[Session], smtp: SmtpServer, clock: Clock
) -> None:
    message_id = queue(sessions, template="order_confirmation", context=order_context())

    report = make_delivery(sessions, smtp, clock).run_pass()

    assert report.sent == 1
    [received] = smtp.sink.received
    message = received.message
    assert received.rcpt_tos == ["ada@example.org"]
    assert message["To"] == "ada@example.org"
    assert message["From"] == SENDER
    assert message["Subject"] == "Your tickets for Night of <Strings> & Brass (order ORD-7731)"
    assert message["Message-ID"] == f"<{message_id}@bilten.example>"
    text = body(message, "plain")
    html = body(message, "html")
    assert "ORD-7731" in text and "Standing, ticket TKT0000000000000001" in text
    assert "Night of &lt;Strings&gt; &amp; Brass" in html  # the organizer's text, escaped
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert [part.get_filename() for part in images] == [
        "ticket-TKT0000000000000001.png",
        "ticket-TKT0000000000000002.png",
    ]
    for part, token in zip(images, TOKENS, strict=True):
        assert f'src="cid:{part["Content-ID"].strip("<>")}"' in html
        [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(part.get_content())))
        assert code.text == token
    row_after = row(sessions, message_id)
    assert (row_after.status, row_after.sent_at, row_after.attempts) == ("sent", clock.now, 1)


def test_every_kind_renders_and_arrives(
    sessions: sessionmaker[Session], smtp: SmtpServer, clock: Clock
) -> None:
    contexts = {
        "verify_email": {"name": "Ada", "verify_url": "https://shop.example/v/1"},
        "password_reset": {"name": "Ada", "reset_url": "https://shop.example/r/1"},
        "order_confirmation": order_context(),
        "organizer_message": {
            "organizer_name": "Brass Nights",
            "event_name": "Night of Brass",
            "subject": "Doors open\nat 18:00",
            "body": "Doors open an hour early.\n\nBring a jacket.",
        },
    }
    for template, context in contexts.items():
        queue(sessions, template=template, context=context)

    make_delivery(sessions, smtp, clock).run_pass()

    subjects = sorted(str(r.message["Subject"]) for r in smtp.sink.received)
    assert subjects == [
        "Confirm your email address",
        "Doors open at 18:00",  # a line break in the subject cannot start a new header
        "Reset your password",
        "Your tickets for Night of <Strings> & Brass (order ORD-7731)",
    ]
    by_subject = {str(r.message["Subject"]): r.message for r in smtp.sink.received}
    reset = body(by_subject["Reset your password"], "plain")
    assert "https://shop.example/r/1" in reset
    note = body(by_subject["Doors open at 18:00"], "html")
    assert "<p>Doors open an hour early.</p>" in note and "<p>Bring a jacket.</p>" in note


def test_a_temporary_refusal_is_retried_after_a_growing_jittered_delay_then_sent(
    sessions: sessionmaker[Session], smtp: SmtpServer, clock: Clock
) -> None:
    policy = RetryPolicy(max_attempts=5, base_s=60, max_delay_s=3600)
    delivery = make_delivery(sessions, smtp, clock, policy)
    message_id = queue(sessions)
    smtp.sink.data_replies.extend(["451 4.3.0 Mailbox busy, try later"] * 2)
    start = clock.now

    first = delivery.run_pass()
    after_first = row(sessions, message_id)
    # Not due yet: a pass in between sends nothing.
    clock.now = after_first.next_attempt_at - 1
    early = delivery.run_pass()
    clock.now = after_first.next_attempt_at
    second = delivery.run_pass()
    after_second = row(sessions, message_id)
    clock.now = after_second.next_attempt_at
    third = delivery.run_pass()

    assert (first.retried, early.busy, second.retried, third.sent) == (1, False, 1, 1)
    assert after_first.status == "queued" and after_first.last_error is not None
    assert "451 4.3.0 Mailbox busy" in after_first.last_error
    first_delay = after_first.next_attempt_at - start
    second_delay = after_second.next_attempt_at - after_first.next_attempt_at
    assert 30 <= first_delay <= 60  # half to all of base_s
    assert 60 <= second_delay <= 120  # doubled
    [received] = smtp.sink.received
    assert received.message["Message-ID"] == f"<{message_id}@bilten.example>"
    final = row(sessions, message_id)
    assert (final.status, final.attempts, final.last_error) == ("sent", 3, None)


def test_a_permanent_refusal_is_dead_lettered_at_once_and_the_rest_still_go(
    sessions: sessionmaker[Session], smtp: SmtpServer, clock: Clock
) -> None:
    smtp.sink.refused["gone@example.org"] = "550 5.1.1 No such user here"
    dead_id = queue(sessions, to="gone@example.org")
    clock.advance(1)
    queue(sessions, to="ada@example.org")

    report = make_delivery(sessions, smtp, clock).run_pass()

    assert (report.sent, report.dead, report.retried) == (1, 1, 0)
    assert [r.rcpt_tos for r in smtp.sink.received] == [["ada@example.org"]]
    dead = row(sessions, dead_id)
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert dead.last_error == "550 5.1.1 No such user here"


def unreachable(sessions: sessionmaker[Session], clock: Clock, policy: RetryPolicy) -> Delivery:
    down = SmtpSettings(host="127.0.0.1", port=free_port(), timeout_s=5)
    return Delivery(
        sessions=sessions,
        courier=EmailCourier(SmtpMailer(down), SENDER),
        clock=clock,
        policy=policy,
    )


def test_a_server_that_stays_down_dead_letters_the_message_after_the_last_attempt(
    sessions: sessionmaker[Session], clock: Clock
) -> None:
    delivery = unreachable(sessions, clock, RetryPolicy(max_attempts=3, base_s=10))
    message_id = queue(sessions)

    reports = [delivery.run_pass()]
    for _ in range(2):
        clock.now = row(sessions, message_id).next_attempt_at
        reports.append(delivery.run_pass())

    assert [(r.retried, r.dead) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    dead = row(sessions, message_id)
    assert (dead.status, dead.attempts) == ("dead", 3)
    assert dead.last_error is not None
    assert "cannot send through the SMTP server at 127.0.0.1:" in dead.last_error
    assert "Connection refused" in dead.last_error


def test_a_pass_stops_at_an_unreachable_server_instead_of_spending_every_attempt(
    sessions: sessionmaker[Session], clock: Clock
) -> None:
    delivery = unreachable(sessions, clock, RetryPolicy())
    ids = [queue(sessions, to=f"guest{n}@example.org") for n in range(3)]

    report = delivery.run_pass()

    assert (report.retried, report.sent, report.dead) == (1, 0, 0)
    assert sorted(row(sessions, message_id).attempts for message_id in ids) == [0, 0, 1]


def test_the_smtp_password_never_reaches_a_log_line_or_the_outbox(
    sessions: sessionmaker[Session],
    smtp: SmtpServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "Wr0ng-Pa55word-also-secret"
    message_id = queue(sessions)

    refused = make_delivery(sessions, smtp, clock, password=wrong).run_pass()
    clock.now = row(sessions, message_id).next_attempt_at
    accepted = make_delivery(sessions, smtp, clock).run_pass()

    assert (refused.retried, accepted.sent) == (1, 1)
    # smtplib tries each offered mechanism (PLAIN, then LOGIN) before giving up.
    assert {password for _login, password in smtp.sink.logins[:-1]} == {wrong}
    assert smtp.sink.logins[-1] == ("mailer", PASSWORD)
    # Everything this process logged except the test server's own protocol trace.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    assert "refused the login of 'mailer'" in logged
    assert "sent email" in logged
    for secret in (PASSWORD, wrong):
        assert secret not in logged
        assert secret not in repr(smtp.settings(secret))
        assert secret not in (row(sessions, message_id).last_error or "")


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_workers_on_postgresql_never_send_the_same_message_twice(
    sessions: sessionmaker[Session], smtp: SmtpServer, clock: Clock
) -> None:
    ids = {queue(sessions, to=f"guest{n}@example.org") for n in range(40)}
    workers = [make_delivery(sessions, smtp, clock) for _ in range(2)]
    start = threading.Barrier(2)
    reports = []

    def work(delivery: Delivery) -> None:
        start.wait()
        reports.append(delivery.run_pass())

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    arrived = [str(r.message["Message-ID"]).strip("<>").split("@")[0] for r in smtp.sink.received]
    assert sorted(arrived) == sorted(ids)  # every message exactly once
    assert sum(r.sent for r in reports) == 40
