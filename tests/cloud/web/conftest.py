"""The cloud's pages driven like a browser without JavaScript: real forms, real cookies, the
CSRF token read from the page like a browser would submit it."""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Iterator
from html import unescape
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from cloud.app import create_app
from cloud.settings import CloudSettings
from tests.cloud.conftest import Api, Setup

_CSRF = re.compile(r'name="_csrf_token" value="([^"]*)"')


@pytest.fixture
def settings(settings: CloudSettings) -> CloudSettings:
    # The test client speaks plain http, which would never send back a Secure cookie.
    return dataclasses.replace(settings, cookie_secure=False)


class Visitor:
    """One browser: its own cookie jar, following no redirects so each step is visible."""

    def __init__(self, client: TestClient[Any]) -> None:
        self.client = client

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, follow_redirects=False, **kwargs)

    def csrf(self, page: str | httpx.Response) -> str:
        html = page if isinstance(page, str) else page.text
        found = _CSRF.search(html)
        assert found, "the page has no form with a CSRF token"
        return unescape(found.group(1))

    def submit(self, form_page: str, action: str, fields: dict[str, Any]) -> httpx.Response:
        """POST ``fields`` to ``action`` as the form on ``form_page`` would, CSRF token included."""
        page = self.get(form_page)
        assert page.status_code == 200, page.text
        return self.client.post(
            action,
            data={**fields, "_csrf_token": self.csrf(page)},
            follow_redirects=False,
        )

    def sign_up(self, email: str | None = None, password: str = "correct horse") -> str:
        email = email or f"buyer-{secrets.token_hex(4)}@example.org"
        answer = self.submit(
            "/account/signup",
            "/account/signup",
            {"name": "Ada Lovelace", "email": email, "password": password},
        )
        assert answer.status_code == 303, answer.text
        return email


@pytest.fixture
def visitor(client: TestClient[Any]) -> Visitor:
    return Visitor(client)


@pytest.fixture
def other_visitor(settings: CloudSettings) -> Iterator[Visitor]:
    """A second browser on the same cloud database (its own app instance and cookies)."""
    with TestClient(create_app(settings)) as other:
        yield Visitor(other)


@pytest.fixture
def shop(api: Api) -> Setup:
    """An organizer's published event with one ticket type on sale."""
    return api.setup()


def qr_codes(html: str) -> int:
    return len(re.findall(r'<svg[^>]*class="qr"', html))


def pdf_pages(document: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", document))
