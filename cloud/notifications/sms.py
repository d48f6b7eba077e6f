"""Text messages: a generic SMS provider spoken to as JSON over HTTPS, or (the embedded
default) a folder of ``.txt`` files.

The provider adapter posts one message per request to ``BILTEN_SMS_URL``::

    POST <url>
    Authorization: Bearer <BILTEN_SMS_TOKEN>
    Idempotency-Key: <outbox id>
    {"to": "+4915112345678", "from": "<BILTEN_SMS_FROM>", "text": "...", "reference": "<outbox id>"}

and reads the answer by its status: 2xx accepted; 400, 404, 410 and 422 refuse this message
for good (a number that cannot receive texts); 401 and 403 mean our token is wrong, 408,
429 and 5xx that the provider is busy or down, so the message (and the rest of the pass)
waits for the next try. The same ``Idempotency-Key`` on every try lets the provider drop a
copy when our record of a success was lost. Most providers take this shape directly or
through a small relay; the token never appears in logs or errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from cloud.notifications.config import SmsSettings
from cloud.notifications.failures import SendFailed

_PERMANENT = {400, 404, 410, 422}
MAX_ERROR_BODY = 300


@dataclass(frozen=True, slots=True)
class TextMessage:
    message_id: str
    to: str
    sender: str
    text: str


class SmsSender(Protocol):
    def send(self, message: TextMessage) -> None:
        """Hand ``message`` over or raise ``SendFailed``."""

    def close(self) -> None: ...


class FolderSmsSender:
    """Writes each text to ``<folder>/<outbox id>.txt``; a resend overwrites the copy."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: TextMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        text = f"From: {message.sender}\nTo: {message.to}\n\n{message.text}\n"
        (self.folder / f"{message.message_id}.txt").write_text(text, encoding="utf-8")

    def close(self) -> None:
        pass


class HttpSmsSender:
    """The JSON-over-HTTPS adapter: one connection pool, opened on the first send of a
    delivery pass and closed at its end."""

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings
        self._client: httpx.Client | None = None

    def send(self, message: TextMessage) -> None:
        if self._client is None:
            self._client = httpx.Client(timeout=self.settings.timeout_s)
        try:
            answer = self._client.post(
                self.settings.url,
                json={
                    "to": message.to,
                    "from": message.sender,
                    "text": message.text,
                    "reference": message.message_id,
                },
                headers={
                    "Authorization": f"Bearer {self.settings.token}",
                    "Idempotency-Key": message.message_id,
                },
            )
        except httpx.TimeoutException as exc:
            detail = f"{self._where()}: timed out ({exc.__class__.__name__})"
            raise SendFailed(detail, connection=True) from exc
        except httpx.TransportError as exc:
            detail = f"{self._where()}: {exc.__class__.__name__}: {exc}"
            raise SendFailed(detail, connection=True) from exc
        if answer.is_success:
            return
        said = " ".join(answer.text.split())[:MAX_ERROR_BODY]
        detail = f"the SMS provider answered {answer.status_code}: {said}".rstrip(": ")
        if answer.status_code in _PERMANENT:
            raise SendFailed(detail, permanent=True)
        if answer.status_code in {401, 403}:
            raise SendFailed(f"{detail}; check BILTEN_SMS_TOKEN", connection=True)
        # 408, 429, 5xx and anything unexpected: the provider, not this message.
        raise SendFailed(detail, connection=True)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _where(self) -> str:
        return f"cannot reach the SMS provider at {self.settings.address}"
