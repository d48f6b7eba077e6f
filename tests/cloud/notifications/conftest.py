"""A real SMTP server (aiosmtpd) and a local SMS provider (a real HTTP server) on loopback
that keep what they accepted, a migrated outbox on SQLite and PostgreSQL, and a clock the
tests move by hand."""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.orm import Session, sessionmaker

from cloud.db import make_engine, make_session_factory
from cloud.migrate import upgrade
from cloud.notifications.config import SmtpSettings
from cloud.notifications.couriers import EmailCourier
from cloud.notifications.delivery import Delivery, RetryPolicy
from cloud.notifications.mailers import SmtpMailer
from tests.cloud.notifications.sms_sink import SmsSink, running_sms_sink
from tests.support import free_port

SENDER = "Bilten Tickets <tickets@bilten.example>"
LOGIN = "mailer"
PASSWORD = "s3cret-Pa55word-never-logged"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class SmtpSink:
    """Accepts mail unless told otherwise: ``data_replies`` answers the next DATA commands
    (e.g. a 451), ``refused`` answers RCPT for given addresses (e.g. a 550)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.data_replies: deque[str] = deque()
        self.refused: dict[str, str] = {}
        self.logins: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            if self.data_replies:
                return self.data_replies.popleft()
            message = message_from_bytes(envelope.content, policy=default)
            assert isinstance(message, EmailMessage)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        return AuthResult(success=(login, password) == (LOGIN, PASSWORD), handled=False)


@dataclass
class SmtpServer:
    sink: SmtpSink
    port: int

    def settings(self, password: str = PASSWORD) -> SmtpSettings:
        return SmtpSettings(
            host="127.0.0.1", port=self.port, username=LOGIN, password=password, timeout_s=10
        )

    @property
    def url(self) -> str:
        return f"smtp://{LOGIN}:{PASSWORD}@127.0.0.1:{self.port}"


@pytest.fixture
def sms_sink() -> Iterator[SmsSink]:
    """A local SMS provider (a real HTTP server) that accepts texts unless told otherwise."""
    with running_sms_sink() as sink:
        yield sink


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp(SmtpSink()) as server:
        yield server


@contextlib.contextmanager
def running_smtp(sink: SmtpSink) -> Iterator[SmtpServer]:
    """A real SMTP server on a loopback port, taking mail into ``sink``."""
    port = free_port()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        authenticator=sink.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield SmtpServer(sink, port)
    finally:
        controller.stop()


class Clock:
    """Unix seconds that move only when a test says so."""

    def __init__(self, now: int = 1_800_000_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(engine)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def make_delivery(
    sessions: sessionmaker[Session],
    smtp: SmtpServer,
    clock: Clock,
    policy: RetryPolicy | None = None,
    password: str = PASSWORD,
) -> Delivery:
    return Delivery(
        sessions=sessions,
        courier=EmailCourier(SmtpMailer(smtp.settings(password)), SENDER),
        clock=clock,
        policy=policy or RetryPolicy(),
    )
