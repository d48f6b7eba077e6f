"""Queuing email in the business transaction: an email exists exactly when the change it
reports committed, once per idempotency key, and bad requests are refused up front."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.errors import InvalidInput
from cloud.notifications.models import OutboxMessage
from cloud.notifications.outbox import enqueue_email
from cloud.users.models import User

VERIFY = {"name": "Ada", "verify_url": "https://shop.example/verify?code=abc"}


def count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def new_user(email: str) -> User:
    return User(email=email, name="Ada", password_hash="x", created_at=0)


def test_an_email_is_queued_only_when_the_business_change_commits(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        session.add(new_user("rolled-back@example.org"))
        enqueue_email(
            session, to="rolled-back@example.org", template="verify_email", context=VERIFY
        )
        session.rollback()
    with sessions() as session:
        session.add(new_user("ada@example.org"))
        enqueue_email(session, to="ada@example.org", template="verify_email", context=VERIFY)
        session.commit()

    with sessions() as session:
        queued = session.scalars(select(OutboxMessage)).all()
    assert [(m.recipient, m.template, m.status, m.attempts) for m in queued] == [
        ("ada@example.org", "verify_email", "queued", 0)
    ]
    assert queued[0].context == VERIFY


def test_the_same_idempotency_key_queues_one_email_even_from_separate_transactions(
    sessions: sessionmaker[Session],
) -> None:
    for _ in range(2):
        with sessions() as session:
            enqueue_email(
                session,
                to="ada@example.org",
                template="verify_email",
                context=VERIFY,
                idempotency_key="order-7731-confirmation",
            )
            enqueue_email(
                session,
                to="ada@example.org",
                template="verify_email",
                context=VERIFY,
                idempotency_key="order-7731-confirmation",
            )
            session.commit()
    with sessions() as session:
        # Without a key every call is its own email.
        for _ in range(2):
            enqueue_email(session, to="ada@example.org", template="verify_email", context=VERIFY)
        session.commit()

    assert count(sessions) == 3


@pytest.mark.parametrize(
    ("to", "template", "context", "complaint"),
    [
        ("ada@example.org", "welcome_gift", VERIFY, "no message template 'welcome_gift'"),
        ("ada@example.org", "verify_email", {"name": "Ada"}, "needs verify_url"),
        ("not an address", "verify_email", VERIFY, "is not an email address"),
        ("ada@example.org\r\nBcc: x@evil.example", "verify_email", VERIFY, "not an email"),
        ("ada@example.org", "verify_email", {**VERIFY, "at": object()}, "plain JSON values"),
    ],
)
def test_a_message_that_could_never_be_sent_is_refused_when_queued(
    sessions: sessionmaker[Session], to: str, template: str, context: dict[str, Any], complaint: str
) -> None:
    with sessions() as session, pytest.raises(InvalidInput, match=complaint):
        enqueue_email(session, to=to, template=template, context=context)
    assert count(sessions) == 0
