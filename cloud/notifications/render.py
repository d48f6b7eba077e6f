"""Turn an outbox row into a MIME message: a plain-text part, an HTML part, inline images.

Each kind has ``<kind>.txt`` (first line ``Subject: ...``, a blank line, the text body) and
``<kind>.html`` (extending ``_layout.html``) in ``templates/``. Only HTML is autoescaped; a
missing context value is an error, never an empty gap in a sent email."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateError, select_autoescape

from cloud.errors import CloudError
from cloud.notifications.kinds import KINDS, Kind, ticket_qr_cid


class RenderFailed(CloudError):
    """The message cannot be built from its context; sending it again will not help."""


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("cloud.notifications", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.globals["ticket_qr_cid"] = ticket_qr_cid
    return env


def kind_of(template: str) -> Kind:
    try:
        return KINDS[template]
    except KeyError:
        raise RenderFailed(
            f"no email template {template!r}; known: {', '.join(sorted(KINDS))}"
        ) from None


def render(
    *, message_id: str, sender: str, recipient: str, template: str, context: dict[str, Any]
) -> EmailMessage:
    """The Message-ID is built from the outbox id, so a message sent twice (see
    ``delivery``) carries the same id both times and receivers can drop the copy."""
    kind = kind_of(template)
    try:
        text = _environment().get_template(f"{template}.txt").render(context)
        html = _environment().get_template(f"{template}.html").render(context)
        images = kind.images(context)
    except (TemplateError, KeyError, TypeError) as exc:
        raise RenderFailed(f"cannot render {template!r}: {exc}") from exc
    subject, body = _split_subject(template, text)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{message_id}@{_domain(sender)}>"
    message.set_content(body)
    message.add_alternative(html, subtype="html")
    html_part = message.get_body(("html",))
    assert isinstance(html_part, EmailMessage)
    for image in images:
        html_part.add_related(
            image.png,
            maintype="image",
            subtype="png",
            cid=f"<{image.cid}>",
            filename=image.filename,
            disposition="inline",
        )
    return message


# Ten SMS segments: providers split longer texts, and phones join them again.
MAX_TEXT_CHARS = 1530


def render_text_message(template: str, context: dict[str, Any]) -> str:
    """The text of a message's SMS version, ``<kind>.sms``: plain text, trimmed, at most
    MAX_TEXT_CHARS characters."""
    kind = kind_of(template)
    if "sms" not in kind.channels:
        raise RenderFailed(f"{template!r} messages have no text-message version")
    try:
        text = _environment().get_template(f"{template}.sms").render(context)
    except (TemplateError, KeyError, TypeError) as exc:
        raise RenderFailed(f"cannot render {template!r}: {exc}") from exc
    text = "\n".join(" ".join(line.split()) for line in text.strip().splitlines())
    if len(text) > MAX_TEXT_CHARS:
        raise RenderFailed(
            f"the {template!r} text has {len(text)} characters; at most {MAX_TEXT_CHARS}"
        )
    return text


def _split_subject(template: str, text: str) -> tuple[str, str]:
    head, _, body = text.partition("\n\n")
    if not head.startswith("Subject:"):
        raise RenderFailed(f"{template}.txt must start with a 'Subject: ...' line")
    # One line, whatever the context held: a newline in a header would end it.
    subject = " ".join(head.removeprefix("Subject:").split())
    return subject, body


def _domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "bilten.localhost"
