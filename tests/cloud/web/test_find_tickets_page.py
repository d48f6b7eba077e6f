""" "Find my tickets" in the web shop: a buyer without an account asks for their tickets again
by the address they bought with."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient

from cloud.settings import CloudSettings
from tests.cloud.conftest import Api, Setup
from tests.cloud.orders.conftest import Shop
from tests.cloud.users.support import emails
from tests.cloud.web.conftest import Visitor


def _tickets_again_to(settings: CloudSettings, address: str) -> list[str]:
    """The orders whose tickets were queued again to ``address``."""
    queued = emails(settings, address, "order_confirmation")
    return [context["order_ref"] for context in queued if context.get("again")]


def test_a_visitor_finds_their_tickets_by_the_address_they_bought_with(
    visitor: Visitor, client: TestClient[Any], api: Api, shop: Setup, settings: CloudSettings
) -> None:
    buyer = Shop(client, api)
    _, order = buyer.buy(shop.event_id, {shop.type_id: 1}, email="ada@example.org", name="Ada")

    home = visitor.get("/events")
    assert '<a href="/tickets/find">Find my tickets</a>' in home.text
    form = visitor.get("/tickets/find")
    assert form.status_code == 200
    assert "Enter the address you bought them with" in " ".join(form.text.split())

    wrong = visitor.submit("/tickets/find", "/tickets/find", {"email": "ada at example"})
    assert wrong.status_code == 400
    assert "Enter the email address you bought the tickets with" in wrong.text
    assert 'value="ada at example"' in wrong.text
    sent = visitor.submit("/tickets/find", "/tickets/find", {"email": "ada@example.org"})
    assert sent.status_code == 200
    assert "they are on their way to it now" in sent.text
    nobody = visitor.submit("/tickets/find", "/tickets/find", {"email": "bob@example.org"})
    assert "they are on their way to it now" in nobody.text

    assert _tickets_again_to(settings, "ada@example.org") == [order["reference"]]
    assert _tickets_again_to(settings, "bob@example.org") == []


def test_the_find_page_refuses_a_post_without_its_form_token(
    visitor: Visitor, settings: CloudSettings
) -> None:
    answer = visitor.client.post(
        "/tickets/find", data={"email": "ada@example.org"}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert _tickets_again_to(settings, "ada@example.org") == []
