"""STARTTLS against a real SMTP server that refuses to see a password in the clear."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.notifications.couriers import EmailCourier
from cloud.notifications.delivery import Delivery
from cloud.notifications.mailers import SmtpMailer
from cloud.notifications.models import OutboxMessage
from cloud.notifications.outbox import enqueue_email
from tests.cloud.notifications.conftest import SENDER, Clock, SmtpServer, SmtpSink
from tests.support import free_port


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.pem", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_smtp(tmp_path: Path) -> Iterator[tuple[SmtpServer, Path]]:
    cert, key = self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    sink = SmtpSink()
    port = free_port()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        authenticator=sink.authenticate,
        tls_context=server_context,
        require_starttls=True,  # and, by default, no AUTH before it
    )
    controller.start()
    try:
        yield SmtpServer(sink, port), cert
    finally:
        controller.stop()


def test_starttls_encrypts_before_logging_in_and_the_message_arrives(
    sessions: sessionmaker[Session], tls_smtp: tuple[SmtpServer, Path], clock: Clock
) -> None:
    smtp, cert = tls_smtp
    trusting = ssl.create_default_context(cafile=str(cert))
    with sessions() as session:
        enqueue_email(
            session,
            to="ada@example.org",
            template="password_reset",
            context={"name": "Ada", "reset_url": "https://shop.example/r/1"},
        )
        session.commit()
    plain = replace(smtp.settings(), starttls=False)
    encrypted = replace(smtp.settings(), starttls=True)

    refused = Delivery(
        sessions, EmailCourier(SmtpMailer(plain, trusting), SENDER), clock
    ).run_pass()
    with sessions() as session:
        [waiting] = session.scalars(select(OutboxMessage)).all()
    clock.advance(3600)
    sent = Delivery(
        sessions, EmailCourier(SmtpMailer(encrypted, trusting), SENDER), clock
    ).run_pass()

    assert (refused.retried, sent.sent) == (1, 1)
    assert "add ?starttls=1 to BILTEN_SMTP_URL" in (waiting.last_error or "")
    [received] = smtp.sink.received
    assert received.message["Subject"] == "Reset your password"
    assert smtp.sink.logins == [("mailer", smtp.settings().password)]
