"""Ways out for a rendered message: an SMTP server, or a folder of ``.eml`` files (the
embedded default, so a newcomer sees the mail without running a mail server).

SMTP goes through the standard library's ``smtplib``: maintained with Python itself, and
the worker sends from a plain thread, so an async client would add an event loop and a
dependency for nothing."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Protocol

from cloud.notifications.config import SmtpSettings
from cloud.notifications.failures import SendFailed

__all__ = ["FolderMailer", "Mailer", "SendFailed", "SmtpMailer"]


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` over or raise ``SendFailed``."""

    def close(self) -> None: ...


class FolderMailer:
    """Writes each message to ``<folder>/<outbox id>.eml``; a resend overwrites the copy."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").partition("@")[0]
        (self.folder / f"{name}.eml").write_bytes(message.as_bytes(policy=SMTP))

    def close(self) -> None:
        pass


class SmtpMailer:
    """One connection, opened on the first send and reused until ``close`` or an error."""

    def __init__(self, settings: SmtpSettings, ssl_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.ssl_context = ssl_context or ssl.create_default_context()
        self._client: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        try:
            client = self._connected()
            client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            detail = "; ".join(_reply(c, t) for c, t in exc.recipients.values())
            raise SendFailed(detail, permanent=all(c >= 500 for c in codes)) from exc
        except smtplib.SMTPAuthenticationError as exc:
            self._drop()
            raise SendFailed(
                f"the SMTP server refused the login of {self.settings.username!r}: "
                f"{_reply(exc.smtp_code, exc.smtp_error)}; check BILTEN_SMTP_URL",
                connection=True,
            ) from exc
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as exc:
            self._drop()
            raise SendFailed(f"{self._where()}: {exc}", connection=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise SendFailed(
                _reply(exc.smtp_code, exc.smtp_error), permanent=exc.smtp_code >= 500
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            self._drop()
            hint = ""
            if not (self.settings.starttls or self.settings.tls):
                hint = "; if the server wants encryption first, add ?starttls=1 to BILTEN_SMTP_URL"
            raise SendFailed(f"{self._where()}: {exc}{hint}", connection=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise SendFailed(
                f"{self._where()}: {exc.__class__.__name__}: {exc}", connection=True
            ) from exc

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (OSError, smtplib.SMTPException):
                self._client.close()
            self._client = None

    def _connected(self) -> smtplib.SMTP:
        if self._client is not None:
            return self._client
        s = self.settings
        client: smtplib.SMTP
        if s.tls:
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s, context=self.ssl_context)
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
        try:
            client.ehlo()
            if s.starttls:
                client.starttls(context=self.ssl_context)
                client.ehlo()
            if s.username:
                client.login(s.username, s.password or "")
        except BaseException:
            client.close()
            raise
        self._client = client
        return client

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _where(self) -> str:
        return f"cannot send through the SMTP server at {self.settings.address}"


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {message}".strip()
