"""Mail settings from the environment: one SMTP URL, a sender, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloud.errors import ConfigurationError
from cloud.notifications.config import DEFAULT_MAIL_FROM, SmtpSettings, parse_smtp_url
from cloud.settings import CloudSettings


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://mailer:p%40ss%3Aword@mail.example.org:587?starttls=1",
            SmtpSettings("mail.example.org", 587, "mailer", "p@ss:word", starttls=True),
        ),
        ("smtps://mail.example.org", SmtpSettings("mail.example.org", 465, tls=True)),
        ("smtp://localhost", SmtpSettings("localhost", 25)),
        ("smtp://localhost?starttls=yes", SmtpSettings("localhost", 587, starttls=True)),
        ("smtp://relay:2525?starttls=0", SmtpSettings("relay", 2525)),
    ],
)
def test_an_smtp_url_names_server_login_and_encryption(url: str, expected: SmtpSettings) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://mail.example.org", "must start with smtp://"),
        ("smtp://", "names no host"),
        ("smtp://mail.example.org:port", "invalid port"),
        ("smtp://mail.example.org?tls=1", "unknown options"),
        ("smtp://mail.example.org?starttls=maybe", "starttls must be 1 or 0"),
        ("smtps://mail.example.org?starttls=1", "already encrypted"),
    ],
)
def test_a_wrong_smtp_url_is_refused_with_what_to_write(url: str, complaint: str) -> None:
    with pytest.raises(ConfigurationError, match=complaint):
        parse_smtp_url(url)


def test_settings_read_smtp_and_sender_from_the_environment_and_hide_the_password(
    tmp_path: Path,
) -> None:
    configured = CloudSettings.from_env(
        tmp_path,
        environ={
            "BILTEN_SMTP_URL": "smtp://mailer:hunter2-hunter2@mail.example.org?starttls=1",
            "BILTEN_MAIL_FROM": "Brass Nights <tickets@brass.example>",
        },
    )
    embedded = CloudSettings.from_env(tmp_path, environ={})

    assert configured.smtp is not None
    assert (configured.smtp.address, configured.smtp.password) == (
        "mail.example.org:587",
        "hunter2-hunter2",
    )
    assert configured.mail_from == "Brass Nights <tickets@brass.example>"
    assert "hunter2" not in repr(configured)
    assert (embedded.smtp, embedded.mail_from) == (None, DEFAULT_MAIL_FROM)
    with pytest.raises(ConfigurationError, match="BILTEN_MAIL_FROM 'tickets' is not"):
        CloudSettings.from_env(tmp_path, environ={"BILTEN_MAIL_FROM": "tickets"})
