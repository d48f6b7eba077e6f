"""The cart: the buyer's hold with its countdown, and checking it out.

The hold's token is in the cart's address, and a cookie remembers the latest one, so ``/cart``
finds it again after the buyer closed the tab."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.orm import Session

from cloud.access import Access
from cloud.clock import now_s
from cloud.deps import Db, Settings
from cloud.orders import holds
from cloud.orders.checkout import checkout
from cloud.orders.models import Hold, HoldState, OrderStatus
from cloud.orders.payments import STRIPE, PaymentState, provider_for
from cloud.settings import CloudSettings
from cloud.web.deps import CART_COOKIE, CurrentUser
from cloud.web.queries import event_with_venue
from cloud.web.responses import personal_page, secret_page
from cloud.web.templating import render


def cart_cookie(settings: CloudSettings, token: str) -> Cookie:
    return Cookie(
        key=CART_COOKIE,
        value=token,
        path="/",
        max_age=settings.hold_seconds + settings.pending_order_seconds,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )


class CartPages(Controller):
    path = "/cart"
    include_in_schema = False

    @get("/", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def latest(self, request: Request[Any, Any, Any], current_user: CurrentUser) -> Response[Any]:
        """The visitor's latest hold, remembered in a cookie, so a closed tab loses nothing."""
        del current_user  # taken for the nav
        token = request.cookies.get(CART_COOKIE)
        if token:
            return Redirect(f"/cart/{token}", status_code=303)
        return personal_page(render(request, "shop/cart_empty.html"))

    @get("/{token:str}", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def cart(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        db: Db,
        current_user: CurrentUser,
    ) -> Response[Any]:
        del current_user
        with db:
            hold = holds.hold_by_token(db, token)
            if hold.state == HoldState.CHECKED_OUT:
                return Redirect(f"/orders/{token}", status_code=303)
            html = _cart_html(request, db, hold, token)
        return secret_page(html)

    @post("/{token:str}/checkout", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def checkout(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        db: Db,
        settings: Settings,
        current_user: CurrentUser,
    ) -> Response[Any]:
        del current_user
        try:
            with db:
                done = checkout(
                    db,
                    settings.master_key,
                    token,
                    provider_for(settings),
                    now_s(),
                    public_url=settings.public_url,
                )
        except holds.HoldExpired as exc:
            with db:
                hold = holds.hold_by_token(db, token)
                html = _cart_html(request, db, hold, token, errors=[exc.detail.capitalize()])
            return secret_page(html, status_code=exc.status_code)
        pending = done.start is not None and done.start.state == PaymentState.PENDING
        order = done.order
        if order.status == OrderStatus.PENDING and (pending or order.payment_provider == STRIPE):
            return Redirect(f"/orders/{token}/pay", status_code=303)
        return Redirect(f"/orders/{token}", status_code=303)


def _cart_html(
    request: Request[Any, Any, Any],
    db: Session,
    hold: Hold,
    token: str,
    errors: list[str] | None = None,
) -> str:
    now = now_s()
    items = holds.hold_items(db, hold.id)
    event, venue = event_with_venue(db, hold.event_id)
    expired = hold.state == HoldState.EXPIRED or hold.expires_at <= now
    total = sum(item.quantity * item.unit_price for item, _ in items)
    return render(
        request,
        "shop/cart.html",
        hold=hold,
        token=token,
        event=event,
        venue=venue,
        lines=[
            {
                "name": kind.name,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
                "subtotal": item.quantity * item.unit_price,
            }
            for item, kind in items
        ],
        currency=items[0][1].currency if items else "EUR",
        total=total,
        discount=hold.discount,
        voucher=holds.voucher_code(db, hold),
        expired=expired,
        seconds_left=max(0, hold.expires_at - now),
        errors=errors or [],
    )
