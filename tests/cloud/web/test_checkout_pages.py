"""Reserving, the cart, checking out with the local provider, the order page and its PDF."""

from __future__ import annotations

import dataclasses
import io
import re
import time
from typing import Any

import httpx
from litestar.testing import TestClient
from pypdf import PdfReader

from cloud.app import create_app
from cloud.settings import CloudSettings
from tests.cloud.conftest import Api, Setup
from tests.cloud.users.support import emails
from tests.cloud.web.conftest import Visitor, pdf_pages, qr_codes


def _reserve(visitor: Visitor, shop: Setup, quantity: int = 2, **fields: Any) -> httpx.Response:
    return visitor.submit(
        f"/events/{shop.event_id}",
        f"/events/{shop.event_id}/reserve",
        {
            f"qty_{shop.type_id}": str(quantity),
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            **fields,
        },
    )


def _available(api: Api, shop: Setup) -> int:
    answer = api.client.get(f"/api/v1/shop/events/{shop.event_id}")
    [kind] = [t for t in answer.json()["ticket_types"] if t["type_id"] == shop.type_id]
    left: int = kind["available"]
    return left


def _buy(visitor: Visitor, shop: Setup, quantity: int = 2) -> str:
    """Reserve and check out; returns the order's path."""
    reserved = _reserve(visitor, shop, quantity)
    assert reserved.status_code == 303, reserved.text
    cart = reserved.headers["location"]
    token = cart.removeprefix("/cart/")
    paid = visitor.submit(cart, f"{cart}/checkout", {})
    assert paid.status_code == 303, paid.text
    assert paid.headers["location"] == f"/orders/{token}"
    return paid.headers["location"]


def _order(api: Api, order_path: str) -> dict[str, Any]:
    """The order as its buyer's API shows it."""
    answer = api.client.get(f"/api/v1/shop/orders/{order_path.removeprefix('/orders/')}")
    assert answer.status_code == 200, answer.text
    order: dict[str, Any] = answer.json()
    return order


def _cancel(api: Api, shop: Setup, order_path: str) -> None:
    """The organizer cancels the order, as from the sale's page."""
    reference = _order(api, order_path)["reference"]
    cancelled = api.client.post(
        f"/api/v1/events/{shop.event_id}/orders/{reference}/cancel",
        headers=shop.organizer.headers,
    )
    assert cancelled.status_code == 200, cancelled.text


def test_a_buyer_reserves_checks_out_and_gets_two_tickets_with_codes(
    api: Api, shop: Setup, visitor: Visitor
) -> None:
    before = _available(api, shop)
    reserved = _reserve(visitor, shop, 2)
    assert reserved.status_code == 303, reserved.text
    cart_path = reserved.headers["location"]
    assert re.fullmatch(r"/cart/[A-Za-z0-9_-]{40,}", cart_path)
    assert _available(api, shop) == before - 2

    cart = visitor.get(cart_path)
    assert cart.status_code == 200
    assert "Your tickets are reserved for" in cart.text
    assert "data-countdown=" in cart.text and 'aria-live="polite"' in cart.text
    assert "Get tickets" in cart.text  # the type is free
    assert cart.headers["cache-control"] == "no-store"
    assert cart.headers["referrer-policy"] == "no-referrer"

    # The cart is remembered: /cart leads back to it.
    assert visitor.get("/cart").headers["location"] == cart_path

    paid = visitor.submit(cart_path, f"{cart_path}/checkout", {})
    assert paid.status_code == 303, paid.text
    order_path = paid.headers["location"]
    order = visitor.get(order_path)
    assert order.status_code == 200
    assert "Paid" in order.text
    assert qr_codes(order.text) == 2
    assert order.headers["cache-control"] == "no-store"
    assert order.headers["referrer-policy"] == "no-referrer"

    # The cart of a hold that became an order now leads to the order.
    assert visitor.get(cart_path).headers["location"] == order_path

    pdf = visitor.get(f"{order_path}/tickets.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert pdf_pages(pdf.content) == 2


def test_the_codes_on_the_order_page_are_the_tickets_tokens(
    api: Api, shop: Setup, visitor: Visitor
) -> None:
    order_path = _buy(visitor, shop, 1)
    [ticket] = _order(api, order_path)["tickets"]
    page = visitor.get(order_path).text
    assert ticket["ticket_id"] in page
    # The token itself is only inside the QR code, not printed as text.
    assert ticket["token"] not in page


def test_paid_orders_appear_with_prices_and_a_voucher_field_exists(
    api: Api, shop: Setup, visitor: Visitor
) -> None:
    answer = api.client.post(
        f"/api/v1/events/{shop.event_id}/ticket-types",
        json={"name": "Seated", "capacity": 10, "price": 1250, "currency": "EUR"},
        headers=shop.organizer.headers,
    )
    seated = answer.json()["type_id"]
    page = visitor.get(f"/events/{shop.event_id}")
    assert 'name="voucher"' in page.text
    reserved = visitor.submit(
        f"/events/{shop.event_id}",
        f"/events/{shop.event_id}/reserve",
        {f"qty_{seated}": "2", "name": "Ada", "email": "ada@example.org"},
    )
    cart = visitor.get(reserved.headers["location"])
    assert "€25.00" in cart.text
    assert "Pay €25.00" in cart.text


def test_reserving_nothing_or_without_an_email_is_refused_and_holds_nothing(
    api: Api, shop: Setup, visitor: Visitor
) -> None:
    before = _available(api, shop)
    nothing = _reserve(visitor, shop, 0)
    assert nothing.status_code == 400
    assert "Choose at least one ticket" in nothing.text
    no_email = _reserve(visitor, shop, 1, email="")
    assert no_email.status_code == 400
    assert "Enter your email address" in no_email.text
    bad_email = _reserve(visitor, shop, 1, email="not-an-email")
    assert bad_email.status_code == 400
    assert "is not an email address" in bad_email.text
    # What the buyer typed is kept.
    assert 'value="Ada Lovelace"' in bad_email.text
    unknown_voucher = _reserve(visitor, shop, 1, voucher="NOPE")
    assert unknown_voucher.status_code in (400, 404, 409)
    assert 'role="alert"' in unknown_voucher.text
    assert _available(api, shop) == before


def test_a_form_without_its_csrf_token_is_refused(
    api: Api, shop: Setup, client: TestClient[Any]
) -> None:
    before = _available(api, shop)
    client.get(f"/events/{shop.event_id}")  # the browser has the CSRF cookie
    answer = client.post(
        f"/events/{shop.event_id}/reserve",
        data={f"qty_{shop.type_id}": "1", "name": "Ada", "email": "ada@example.org"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "This form expired or was sent from another site" in answer.text
    forged = client.post(
        f"/events/{shop.event_id}/reserve",
        data={
            f"qty_{shop.type_id}": "1",
            "name": "Ada",
            "email": "ada@example.org",
            "_csrf_token": "0" * 96,
        },
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert _available(api, shop) == before
    # The JSON API (Bearer tokens, no cookies) needs no CSRF token.
    held = client.post(
        "/api/v1/shop/holds",
        json={
            "event_id": shop.event_id,
            "buyer_email": "ada@example.org",
            "buyer_name": "Ada",
            "items": [{"type_id": shop.type_id, "quantity": 1}],
        },
    )
    assert held.status_code == 201, held.text


def test_nobody_opens_an_order_or_cart_without_its_token(
    shop: Setup, visitor: Visitor, other_visitor: Visitor
) -> None:
    order_path = _buy(visitor, shop, 1)
    assert other_visitor.get(order_path).status_code == 200  # the token is the key
    guessed = other_visitor.get("/orders/" + "A" * 43)
    assert guessed.status_code == 404
    assert "text/html" in guessed.headers["content-type"]
    assert other_visitor.get("/orders/" + "A" * 43 + "/tickets.pdf").status_code == 404
    assert other_visitor.get("/cart/" + "A" * 43).status_code == 404


def test_an_account_sees_its_own_orders_and_never_anothers(
    shop: Setup, visitor: Visitor, other_visitor: Visitor
) -> None:
    visitor.sign_up()
    event_page = visitor.get(f"/events/{shop.event_id}")
    assert 'value="Ada Lovelace"' in event_page.text  # prefilled for the logged-in buyer
    _buy(visitor, shop, 2)
    mine = visitor.get("/account")
    assert mine.status_code == 200
    [reference] = re.findall(r'href="/account/orders/([A-Z0-9]+)"', mine.text)
    own = visitor.get(f"/account/orders/{reference}")
    assert own.status_code == 200
    assert qr_codes(own.text) == 2
    pdf = visitor.get(f"/account/orders/{reference}/tickets.pdf")
    assert pdf_pages(pdf.content) == 2

    emailed = visitor.submit(own_path := f"/account/orders/{reference}", f"{own_path}/email", {})
    assert emailed.status_code == 303
    assert emailed.headers["location"] == f"{own_path}?emailed=true"

    other_visitor.sign_up()
    assert other_visitor.get(f"/account/orders/{reference}").status_code == 404
    assert other_visitor.get(f"/account/orders/{reference}/tickets.pdf").status_code == 404
    assert other_visitor.submit("/account", f"{own_path}/email", {}).status_code == 404
    assert reference not in other_visitor.get("/account").text


def test_a_cancelled_orders_tickets_are_struck_through_without_codes(
    api: Api, shop: Setup, visitor: Visitor
) -> None:
    order_path = _buy(visitor, shop, 2)
    _cancel(api, shop, order_path)

    page = visitor.get(order_path)
    assert "Cancelled" in page.text
    assert qr_codes(page.text) == 0
    assert page.text.count("No longer valid") == 2
    assert "<del>" in page.text
    assert "Download PDF" not in page.text
    assert visitor.get(f"{order_path}/tickets.pdf").status_code == 404


def test_an_expired_hold_cannot_be_checked_out(shop: Setup, settings: CloudSettings) -> None:
    quick = dataclasses.replace(settings, hold_seconds=1)
    with TestClient(create_app(quick)) as client:
        buyer = Visitor(client)
        cart = _reserve(buyer, shop, 1).headers["location"]
        time.sleep(2.1)  # the hold's one second runs out
        page = buyer.get(cart)
        assert "This reservation has expired" in page.text
        assert f"{cart}/checkout" not in page.text
        late = client.post(
            f"{cart}/checkout",
            data={"_csrf_token": buyer.csrf(buyer.get(f"/events/{shop.event_id}"))},
            follow_redirects=False,
        )
        assert late.status_code == 409
        assert "expired" in late.text


def test_a_buyer_reads_every_time_in_the_venues_time_zone(
    api: Api, shop: Setup, visitor: Visitor, settings: CloudSettings
) -> None:
    # The event starts at 19:00 UTC; its hall is in Zagreb, where that is 21:00 in summer.
    moved = api.client.patch(
        f"/api/v1/venues/{shop.venue_id}",
        json={"timezone": "Europe/Zagreb"},
        headers=shop.organizer.headers,
    )
    assert moved.status_code == 200 and moved.json()["timezone"] == "Europe/Zagreb", moved.text
    local = "Sat 1 Jun 2030, 21:00 CEST"

    assert local in visitor.get("/events").text
    assert (
        f'<time datetime="2030-06-01T19:00:00Z">{local}</time>'
        in visitor.get(f"/events/{shop.event_id}").text
    )
    storefront = api.client.get(f"/api/v1/shop/events/{shop.event_id}").json()
    assert storefront["timezone"] == "Europe/Zagreb"
    assert storefront["starts_at"] == "2030-06-01T19:00:00Z"  # the API speaks UTC

    reserved = _reserve(visitor, shop, 1)
    cart = visitor.get(reserved.headers["location"])
    assert local in cart.text and "Concert" in cart.text  # the cart says what it is for
    assert re.search(r"until \d\d:\d\d CES?T\.", cart.text), "the hold ends in Zagreb time"

    order_path = _buy(visitor, shop, 1)
    order = visitor.get(order_path)
    assert local in order.text
    assert re.search(r"Paid on \w{3} \d+ \w{3} \d{4}, \d\d:\d\d CES?T\.", order.text)
    [confirmation] = emails(settings, "ada@example.org", "order_confirmation")
    assert confirmation["event_starts"] == local
    printed = PdfReader(io.BytesIO(visitor.get(f"{order_path}/tickets.pdf").content))
    assert local in printed.pages[0].extract_text()


def test_a_buyer_has_the_orders_tickets_emailed_again_from_its_page(
    api: Api, shop: Setup, visitor: Visitor, settings: CloudSettings
) -> None:
    order_path = _buy(visitor, shop, 2)
    order = _order(api, order_path)
    reference, revoked = order["reference"], order["tickets"][0]["ticket_id"]
    answer = api.client.post(
        f"/api/v1/tickets/{revoked}/revoke",
        headers=shop.organizer.headers,
    )
    assert answer.status_code == 200, answer.text
    assert "Email me these tickets" in visitor.get(order_path).text

    for _ in range(2):  # pressed twice: one email
        sent = visitor.submit(order_path, f"{order_path}/email", {})
        assert sent.status_code == 303
        assert sent.headers["location"] == f"{order_path}?emailed=true"
    page = visitor.get(sent.headers["location"])
    assert "Your tickets are on their way to ada@example.org again" in page.text
    again = [m for m in emails(settings, "ada@example.org", "order_confirmation") if m.get("again")]
    assert len(again) == 1
    [kept] = again[0]["tickets"]  # the revoked one is left out
    assert kept["ticket_id"] != revoked
    assert again[0]["order_ref"] == reference
    assert again[0]["order_url"].endswith(order_path)

    # Nobody else's order: a made-up token sends nothing.
    assert (
        visitor.client.post(
            "/orders/not-a-real-token/email",
            data={"_csrf_token": visitor.csrf(page)},
            follow_redirects=False,
        ).status_code
        == 404
    )


def test_a_cancelled_order_is_not_emailed_again(api: Api, shop: Setup, visitor: Visitor) -> None:
    order_path = _buy(visitor, shop, 1)
    _cancel(api, shop, order_path)
    page = visitor.get(order_path)
    assert "Email me these tickets" not in page.text
    refused = visitor.client.post(
        f"{order_path}/email",
        data={"_csrf_token": visitor.csrf(visitor.get(f"/events/{shop.event_id}"))},
        follow_redirects=False,
    )
    assert refused.status_code == 409
    assert "no valid tickets" in refused.text


def test_a_buyer_gives_a_ticket_from_the_order_page(
    api: Api, shop: Setup, visitor: Visitor, settings: CloudSettings
) -> None:
    order_path = _buy(visitor, shop, 2)
    mine, theirs = _order(api, order_path)["tickets"]
    page = visitor.get(order_path)
    assert page.text.count("Give this ticket to someone") == 2
    give = f"{order_path}/tickets/{theirs['ticket_id']}/give"

    # A mistake is shown beside the ticket's form, with what was typed; nothing is given.
    wrong = visitor.submit(order_path, give, {"name": "Bo Friend", "email": "bo@"})
    assert wrong.status_code == 400
    assert "is not an email address" in wrong.text
    assert 'value="Bo Friend"' in wrong.text
    assert qr_codes(wrong.text) == 2

    given = visitor.submit(order_path, give, {"name": "Bo Friend", "email": "bo@example.org"})
    assert given.status_code == 303, given.text
    page = visitor.get(given.headers["location"])
    assert "is Bo Friend's now: it is on its way to bo@example.org" in page.text
    assert "Given to Bo Friend" in page.text
    # Only the buyer's own ticket keeps its code here and in the PDF.
    assert qr_codes(page.text) == 1
    assert page.text.count("Give this ticket to someone") == 1
    assert pdf_pages(visitor.get(f"{order_path}/tickets.pdf").content) == 1
    [sent] = emails(settings, "bo@example.org", "ticket_given")
    assert sent["giver_name"] == "Ada Lovelace"
    assert _order(api, order_path)["tickets"][0]["ticket_id"] == mine["ticket_id"]

    # The same form again finds the ticket given.
    again = visitor.submit(order_path, give, {"name": "Cy", "email": "cy@example.org"})
    assert again.status_code == 409
    assert "given to someone already" in again.text
    assert emails(settings, "cy@example.org", "ticket_given") == []


def test_an_account_gives_a_ticket_of_its_own_order_only(
    shop: Setup, visitor: Visitor, other_visitor: Visitor, settings: CloudSettings
) -> None:
    visitor.sign_up()
    _buy(visitor, shop, 1)
    [reference] = re.findall(r'href="/account/orders/([A-Z0-9]+)"', visitor.get("/account").text)
    own_path = f"/account/orders/{reference}"
    [ticket_ref] = re.findall(
        r'action="[^"]*/tickets/([A-Z0-9]+)/give"', visitor.get(own_path).text
    )
    give = f"{own_path}/tickets/{ticket_ref}/give"
    other_visitor.sign_up()
    stolen = other_visitor.submit("/account", give, {"name": "Mal", "email": "mal@example.org"})
    assert stolen.status_code == 404
    given = visitor.submit(own_path, give, {"name": "Bo", "email": "bo@example.org"})
    assert given.status_code == 303
    assert given.headers["location"].startswith(f"{own_path}?given=")
    assert "Given to Bo" in visitor.get(given.headers["location"]).text
    assert emails(settings, "mal@example.org", "ticket_given") == []
    assert len(emails(settings, "bo@example.org", "ticket_given")) == 1


def test_a_given_ticket_shows_in_the_friends_account_once_the_address_is_confirmed(
    api: Api,
    shop: Setup,
    visitor: Visitor,
    other_visitor: Visitor,
    settings: CloudSettings,
) -> None:
    order_path = _buy(visitor, shop, 2)
    theirs = _order(api, order_path)["tickets"][1]
    give = f"{order_path}/tickets/{theirs['ticket_id']}/give"
    assert visitor.submit(order_path, give, {"name": "Bo", "email": "bo@example.org"}).is_redirect
    given = _order(api, order_path)["tickets"][1]

    # Anyone can sign up as bo@example.org: nothing shows until the address is proved.
    other_visitor.sign_up("Bo@Example.org")
    assert "Tickets given to you" not in other_visitor.get("/account").text
    [mail] = emails(settings, "bo@example.org", "verify_email")
    verified = other_visitor.get(mail["verify_url"].removeprefix(settings.public_url))
    assert verified.status_code in (200, 303), verified.text
    mine = other_visitor.get("/account").text
    assert "Tickets given to you" in mine
    assert given["ticket_id"] in mine and "From Ada Lovelace" in mine
    assert qr_codes(mine) == 1
    # It links to the ticket's own page, the one its email links to.
    [sent] = emails(settings, "bo@example.org", "ticket_given")
    assert f'href="{sent["ticket_url"].removeprefix(settings.public_url)}"' in mine


def test_the_friend_prints_the_given_ticket_and_gives_it_on_from_its_page(
    api: Api, shop: Setup, visitor: Visitor, other_visitor: Visitor, settings: CloudSettings
) -> None:
    order_path = _buy(visitor, shop, 2)
    theirs = _order(api, order_path)["tickets"][1]
    give = f"{order_path}/tickets/{theirs['ticket_id']}/give"
    assert visitor.submit(order_path, give, {"name": "Bo", "email": "bo@example.org"}).is_redirect
    [sent] = emails(settings, "bo@example.org", "ticket_given")
    ticket_path = sent["ticket_url"].removeprefix(settings.public_url)

    # Bo opens the link: the ticket's code, the event, a PDF and a calendar entry.
    page = other_visitor.get(ticket_path)
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    assert "Ada Lovelace gave you this ticket" in page.text
    assert qr_codes(page.text) == 1
    # The code itself is only inside the QR code, not printed as text.
    assert sent["tickets"][0]["token"] not in page.text
    assert pdf_pages(other_visitor.get(f"{ticket_path}/ticket.pdf").content) == 1
    entry = other_visitor.get(f"{ticket_path}/calendar.ics")
    assert entry.status_code == 200 and "BEGIN:VEVENT" in entry.text

    # A mistake shows beside the form with what was typed; then Cy gets it.
    wrong = other_visitor.submit(ticket_path, f"{ticket_path}/give", {"name": "Cy", "email": "cy@"})
    assert wrong.status_code == 400
    assert "is not an email address" in wrong.text and 'value="Cy"' in wrong.text
    given = other_visitor.submit(
        ticket_path, f"{ticket_path}/give", {"name": "Cy", "email": "cy@example.org"}
    )
    assert given.status_code == 303, given.text
    after = other_visitor.get(given.headers["location"])
    assert "is Cy's now: it is on its way to cy@example.org" in after.text
    assert qr_codes(after.text) == 0
    assert "Give this ticket to someone" not in after.text
    assert other_visitor.get(f"{ticket_path}/ticket.pdf").status_code == 404
    assert emails(settings, "cy@example.org", "ticket_given")[0]["giver_name"] == "Bo"
    # The buyer's page still shows the ticket as given to Bo.
    assert "Given to Bo" in visitor.get(order_path).text
    assert other_visitor.get("/tickets/" + "x" * 43).status_code == 404
