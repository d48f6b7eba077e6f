"""Text messages through the SMS provider adapter against a local provider (a real HTTP
server): what it is sent, retries after temporary failures with the same idempotency key,
dead letters for a refused number or after the last attempt, a pass that stops when the
provider is down, and a token that never shows."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.errors import ConfigurationError, InvalidInput
from cloud.notifications.config import parse_sms_settings
from cloud.notifications.couriers import TextCourier
from cloud.notifications.delivery import Delivery, RetryPolicy
from cloud.notifications.models import OutboxMessage
from cloud.notifications.outbox import enqueue_email, enqueue_text, waiting
from cloud.notifications.phones import normal_phone
from cloud.notifications.sms import HttpSmsSender
from cloud.ops.logs import secret_values
from cloud.settings import CloudSettings
from tests.cloud.notifications.conftest import Clock
from tests.cloud.notifications.sms_sink import SENDER, TOKEN, SmsSink
from tests.support import free_port

MESSAGE = {
    "organizer_name": "Brass Nights",
    "event_name": "Night of Brass",
    "subject": "Doors open at 18:00",
    "body": "Doors open an hour early.\n\nBring a jacket.",
}


def texts(sessions: sessionmaker[Session], sink: SmsSink, clock: Clock, **policy: Any) -> Delivery:
    return Delivery(
        sessions=sessions,
        courier=TextCourier(HttpSmsSender(sink.settings(policy.pop("token", TOKEN))), SENDER),
        clock=clock,
        policy=RetryPolicy(**policy),
    )


def queue_text(sessions: sessionmaker[Session], to: str = "+4915112345678") -> str:
    key = str(uuid.uuid4())
    with sessions() as session:
        enqueue_text(
            session, to=to, template="organizer_message", context=MESSAGE, idempotency_key=key
        )
        session.commit()
        return session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
        ).one()


def row(sessions: sessionmaker[Session], message_id: str) -> OutboxMessage:
    with sessions() as session:
        found = session.get(OutboxMessage, message_id)
        assert found is not None
        return found


def test_a_text_reaches_the_provider_as_json_with_the_token_and_an_idempotency_key(
    sessions: sessionmaker[Session], sms_sink: SmsSink, clock: Clock
) -> None:
    message_id = queue_text(sessions)

    report = texts(sessions, sms_sink, clock).run_pass()

    assert report.sent == 1
    [request] = sms_sink.received
    assert request.path == "/v1/messages"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["idempotency-key"] == message_id
    assert request.body["to"] == "+4915112345678"
    assert request.body["from"] == SENDER
    assert request.body["reference"] == message_id
    assert request.body["text"].startswith("Night of Brass: Doors open at 18:00\n")
    assert "Bring a jacket." in request.body["text"]
    assert request.body["text"].endswith("- Brass Nights (full message by email)")
    after = row(sessions, message_id)
    assert (after.status, after.attempts, after.sent_at) == ("sent", 1, clock.now)


def test_a_busy_provider_is_retried_with_backoff_and_the_same_key_until_it_accepts(
    sessions: sessionmaker[Session], sms_sink: SmsSink, clock: Clock
) -> None:
    delivery = texts(sessions, sms_sink, clock, max_attempts=5, base_s=60)
    message_id = queue_text(sessions)
    sms_sink.replies.extend([(503, '{"error": "try later"}'), (429, "slow down")])
    start = clock.now

    first = delivery.run_pass()
    after_first = row(sessions, message_id)
    clock.now = after_first.next_attempt_at
    second = delivery.run_pass()
    after_second = row(sessions, message_id)
    clock.now = after_second.next_attempt_at
    third = delivery.run_pass()

    assert (first.retried, second.retried, third.sent) == (1, 1, 1)
    assert "the SMS provider answered 503" in (after_first.last_error or "")
    assert "answered 429: slow down" in (after_second.last_error or "")
    assert 30 <= after_first.next_attempt_at - start <= 60
    assert 60 <= after_second.next_attempt_at - after_first.next_attempt_at <= 120
    keys = {r.headers["idempotency-key"] for r in sms_sink.received}
    assert keys == {message_id} and len(sms_sink.received) == 3
    assert row(sessions, message_id).status == "sent"


def test_a_refused_number_is_dead_at_once_and_the_other_texts_still_go(
    sessions: sessionmaker[Session], sms_sink: SmsSink, clock: Clock
) -> None:
    dead_id = queue_text(sessions, "+4915100000000")
    clock.advance(1)
    queue_text(sessions, "+4915112345678")
    sms_sink.replies.append((422, '{"error": "number cannot receive SMS"}'))

    report = texts(sessions, sms_sink, clock).run_pass()

    assert (report.dead, report.sent) == (1, 1)
    dead = row(sessions, dead_id)
    assert dead.status == "dead"
    assert (
        dead.last_error == 'the SMS provider answered 422: {"error": "number cannot receive SMS"}'
    )
    with sessions() as session:
        assert [m.id for m in waiting(session, dead=True)] == [dead_id]


def test_a_provider_that_stays_busy_dead_letters_the_text_after_the_last_attempt(
    sessions: sessionmaker[Session], sms_sink: SmsSink, clock: Clock
) -> None:
    delivery = texts(sessions, sms_sink, clock, max_attempts=3, base_s=10)
    message_id = queue_text(sessions)
    sms_sink.replies.extend([(503, "down for maintenance")] * 3)

    reports = [delivery.run_pass()]
    for _ in range(2):
        clock.now = row(sessions, message_id).next_attempt_at
        reports.append(delivery.run_pass())

    assert [(r.retried, r.dead) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    dead = row(sessions, message_id)
    assert (dead.status, dead.attempts) == ("dead", 3)
    assert "answered 503: down for maintenance" in (dead.last_error or "")


def test_a_pass_stops_when_the_provider_cannot_be_reached(
    sessions: sessionmaker[Session], clock: Clock
) -> None:
    down = parse_sms_settings(f"http://127.0.0.1:{free_port()}/send", TOKEN, SENDER)
    delivery = Delivery(
        sessions=sessions, courier=TextCourier(HttpSmsSender(down), SENDER), clock=clock
    )
    ids = [queue_text(sessions, f"+491511234567{n}") for n in range(3)]

    report = delivery.run_pass()

    assert (report.retried, report.sent, report.dead) == (1, 0, 0)
    assert sorted(row(sessions, message_id).attempts for message_id in ids) == [0, 0, 1]
    tried = next(row(sessions, i) for i in ids if row(sessions, i).attempts == 1)
    assert "cannot reach the SMS provider at http://127.0.0.1:" in (tried.last_error or "")


def test_a_wrong_token_waits_for_the_operator_and_never_shows(
    sessions: sessionmaker[Session],
    sms_sink: SmsSink,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-token-also-secret-987654321"
    message_id = queue_text(sessions)
    sms_sink.replies.append((401, '{"error": "bad token"}'))

    refused = texts(sessions, sms_sink, clock, token=wrong).run_pass()
    clock.now = row(sessions, message_id).next_attempt_at
    accepted = texts(sessions, sms_sink, clock).run_pass()

    assert (refused.retried, refused.dead, accepted.sent) == (1, 0, 1)
    error_then = "\n".join(r.getMessage() for r in caplog.records)
    assert "check BILTEN_SMS_TOKEN" in error_then
    for secret in (TOKEN, wrong):
        assert secret not in error_then
        assert secret not in repr(sms_sink.settings(secret))
        assert secret not in (row(sessions, message_id).last_error or "")


def test_email_and_text_passes_leave_each_other_s_messages_alone(
    sessions: sessionmaker[Session], sms_sink: SmsSink, clock: Clock
) -> None:
    text_id = queue_text(sessions)
    with sessions() as session:
        enqueue_email(
            session,
            to="ada@example.org",
            template="verify_email",
            context={"name": "Ada", "verify_url": "https://shop.example/v"},
        )
        session.commit()

    report = texts(sessions, sms_sink, clock).run_pass()

    assert report.sent == 1 and len(sms_sink.received) == 1
    with sessions() as session:
        assert [(m.channel, m.status) for m in waiting(session)] == [("email", "queued")]
    assert row(sessions, text_id).status == "sent"


@pytest.mark.parametrize(
    ("to", "template", "complaint"),
    [
        ("0151 12345678", "organizer_message", "not a mobile number"),
        ("ada@example.org", "organizer_message", "not a mobile number"),
        ("+4915112345678", "verify_email", "not sent by sms"),
    ],
)
def test_a_text_that_could_never_be_sent_is_refused_when_queued(
    sessions: sessionmaker[Session], to: str, template: str, complaint: str
) -> None:
    with sessions() as session, pytest.raises(InvalidInput, match=complaint):
        enqueue_text(session, to=to, template=template, context=MESSAGE)


def test_phone_numbers_are_read_the_way_people_type_them() -> None:
    assert normal_phone(" +49 (151) 1234-5678 ") == "+4915112345678"
    assert normal_phone("0044 20 7946 0958") == "+442079460958"
    for bad in ("0151 12345678", "+49 151", "+49 151 1234 5678 9999 1", "call me", "+0123456789"):
        with pytest.raises(InvalidInput):
            normal_phone(bad)


@pytest.mark.parametrize(
    ("url", "token", "sender", "complaint"),
    [
        ("http://sms.example.org/send", TOKEN, SENDER, "must use https"),
        ("ftp://sms.example.org/send", TOKEN, SENDER, "https:// address"),
        ("https://user:pw@sms.example.org/send", TOKEN, SENDER, "must not carry a password"),
        ("https://sms.example.org/send", None, SENDER, "needs BILTEN_SMS_TOKEN"),
        ("https://sms.example.org/send", TOKEN, "", "BILTEN_SMS_FROM"),
    ],
)
def test_sms_settings_that_cannot_work_are_refused_at_start(
    url: str, token: str | None, sender: str, complaint: str
) -> None:
    with pytest.raises(ConfigurationError, match=complaint):
        parse_sms_settings(url, token, sender)


def test_the_sms_token_is_among_the_secrets_no_log_line_shows(tmp_path: Path) -> None:
    settings = CloudSettings.from_env(
        tmp_path,
        environ={
            "BILTEN_SMS_URL": "https://sms.example.org/v1/messages",
            "BILTEN_SMS_TOKEN": TOKEN,
            "BILTEN_SMS_FROM": SENDER,
        },
    )

    assert TOKEN in secret_values(settings)
    assert TOKEN not in repr(settings)
