"""``bilten cloud worker --once`` delivers the outbox and ``bilten cloud outbox`` shows what
waits or died, as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cloud.db import make_engine, make_session_factory
from cloud.migrate import upgrade
from cloud.notifications.outbox import enqueue_email, enqueue_text
from cloud.settings import CloudSettings
from tests.cloud.notifications.conftest import PASSWORD, SmtpServer
from tests.cloud.notifications.sms_sink import TOKEN, SmsSink

BILTEN = str(Path(sys.executable).with_name("bilten"))
VERIFY = {"name": "Ada", "verify_url": "https://shop.example/verify?code=abc"}


def queue_for(data: Path, *recipients: str) -> None:
    settings = CloudSettings.from_env(data, environ={})
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        for to in recipients:
            enqueue_email(session, to=to, template="verify_email", context=VERIFY)
        session.commit()
    engine.dispose()


def queue_text_for(data: Path, phone: str) -> None:
    settings = CloudSettings.from_env(data, environ={})
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        enqueue_text(session, to=phone, template="phone_code", context={"code": "123456"})
        session.commit()
    engine.dispose()


def bilten(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BILTEN_")}
    return subprocess.run(
        [BILTEN, "cloud", *args, "--data", str(data)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_the_worker_sends_retries_and_dead_letters_and_the_outbox_command_lists_them(
    smtp: SmtpServer, tmp_path: Path
) -> None:
    smtp.sink.refused["gone@example.org"] = "550 5.1.1 No such user here"
    smtp.sink.refused["busy@example.org"] = "451 4.2.1 Mailbox busy, try later"
    queue_for(tmp_path, "ada@example.org", "gone@example.org", "busy@example.org")

    worker = bilten(
        tmp_path,
        "worker",
        "--once",
        BILTEN_SMTP_URL=smtp.url,
        BILTEN_MAIL_FROM="Brass Nights <tickets@brass.example>",
    )
    queued = bilten(tmp_path, "outbox")
    dead = bilten(tmp_path, "outbox", "--dead")

    [received] = smtp.sink.received
    assert received.rcpt_tos == ["ada@example.org"]
    assert received.message["From"] == "Brass Nights <tickets@brass.example>"
    assert PASSWORD not in worker.stdout + worker.stderr
    assert "sending email through the SMTP server at 127.0.0.1:" in worker.stderr
    [header, busy] = queued.stdout.splitlines()
    assert header.split()[:5] == ["ID", "CHANNEL", "TO", "TEMPLATE", "ATTEMPTS"]
    assert busy.split()[1:5] == ["email", "busy@example.org", "verify_email", "1"]
    assert busy.endswith("451 4.2.1 Mailbox busy, try later")
    [_, gone] = dead.stdout.splitlines()
    assert gone.split()[1:6] == ["email", "gone@example.org", "verify_email", "1", "-"]
    assert gone.endswith("550 5.1.1 No such user here")


def test_without_smtp_the_worker_writes_mail_to_a_folder_and_says_so(tmp_path: Path) -> None:
    queue_for(tmp_path, "ada@example.org")

    worker = bilten(tmp_path, "worker", "--once")
    waiting = bilten(tmp_path, "outbox")

    assert "email is not configured (set BILTEN_SMTP_URL)" in worker.stderr
    [mail] = (tmp_path / "mail").glob("*.eml")
    text = mail.read_text()
    assert "To: ada@example.org" in text and "Subject: Confirm your email address" in text
    assert waiting.stdout == "" and "no messages waiting" in waiting.stderr


def test_the_worker_sends_email_and_text_messages_each_their_way(
    smtp: SmtpServer, sms_sink: SmsSink, tmp_path: Path
) -> None:
    queue_for(tmp_path, "ada@example.org")
    queue_text_for(tmp_path, "+4915112345678")

    worker = bilten(
        tmp_path,
        "worker",
        "--once",
        BILTEN_SMTP_URL=smtp.url,
        BILTEN_SMS_URL=sms_sink.url,
        BILTEN_SMS_TOKEN=TOKEN,
        BILTEN_SMS_FROM="BiltenTix",
    )
    waiting = bilten(tmp_path, "outbox")

    [mail] = smtp.sink.received
    [text] = sms_sink.received
    assert mail.rcpt_tos == ["ada@example.org"]
    assert (text.body["to"], text.body["from"]) == ("+4915112345678", "BiltenTix")
    assert "123456 is your Bilten code" in text.body["text"]
    assert f"sending text messages through the provider at http://127.0.0.1:{sms_sink.port}" in (
        worker.stderr
    )
    assert TOKEN not in worker.stdout + worker.stderr
    assert "no messages waiting" in waiting.stderr


def test_without_a_provider_texts_are_written_to_a_folder_and_the_worker_says_so(
    tmp_path: Path,
) -> None:
    queue_text_for(tmp_path, "+4915112345678")

    worker = bilten(tmp_path, "worker", "--once")

    assert "text messages are not configured (set BILTEN_SMS_URL)" in worker.stderr
    [text] = (tmp_path / "sms").glob("*.txt")
    assert text.read_text().startswith("From: Bilten\nTo: +4915112345678\n\n123456 is your")
