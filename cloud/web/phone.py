"""``/account/phone``: the account's mobile number for text messages about its tickets:
enter it, confirm it with the code texted to it, or remove it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.response import Redirect

from cloud.access import Access
from cloud.clock import now_s
from cloud.deps import Db, Limiter
from cloud.errors import InvalidInput
from cloud.users import phones
from cloud.users.models import User
from cloud.web.deps import CurrentUser, require_user
from cloud.web.forms import FormData, text
from cloud.web.templating import render

NOTICES = {
    "sent": "We sent a code by text message. Enter it below to confirm the number.",
    "confirmed": "Your mobile number is confirmed. Organizers of your events can now text you.",
    "removed": "Your mobile number is removed.",
}


def _page(
    request: Request[Any, Any, Any],
    user: User,
    *,
    status_code: int = 200,
    problem: str | None = None,
    typed: str = "",
) -> Response[str]:
    notice = NOTICES.get(request.query_params.get("done") or "")
    body = render(
        request,
        "account/phone.html",
        user=user,
        notice=notice,
        problem=problem,
        typed=typed,
    )
    return Response(
        body,
        status_code=status_code,
        media_type=MediaType.HTML,
        headers={"Cache-Control": "no-store"},
    )


class AccountPhonePages(Controller):
    path = "/account/phone"
    include_in_schema = False
    opt = {"access": Access.ACCOUNT}

    @get("/", sync_to_thread=True)
    def show(self, request: Request[Any, Any, Any], current_user: CurrentUser) -> Response[str]:
        return _page(request, require_user(current_user, request))

    @post("/", sync_to_thread=True)
    def set_number(
        self,
        *,
        request: Request[Any, Any, Any],
        db: Db,
        current_user: CurrentUser,
        rate_limiter: Limiter,
        data: FormData,
    ) -> Response[Any]:
        user = require_user(current_user, request)
        typed = text(data, "phone")
        rate_limiter.enforce("phone_code.account", str(user.id))
        try:
            phones.request_code(db, user, typed, now_s())
        except InvalidInput as exc:
            db.rollback()
            return _page(request, user, status_code=400, problem=exc.detail, typed=typed)
        return Redirect("/account/phone?done=sent", status_code=303)

    @post("/confirm", sync_to_thread=True)
    def confirm(
        self,
        *,
        request: Request[Any, Any, Any],
        db: Db,
        current_user: CurrentUser,
        rate_limiter: Limiter,
        data: FormData,
    ) -> Response[Any]:
        user = require_user(current_user, request)
        rate_limiter.enforce("phone_confirm.account", str(user.id))
        try:
            phones.confirm(db, user, text(data, "code"), now_s())
        except InvalidInput as exc:
            return _page(request, user, status_code=400, problem=exc.detail)
        return Redirect("/account/phone?done=confirmed", status_code=303)

    @post("/remove", sync_to_thread=True)
    def remove(
        self, *, request: Request[Any, Any, Any], db: Db, current_user: CurrentUser
    ) -> Redirect:
        user = require_user(current_user, request)
        phones.remove(db, user, now_s())
        return Redirect("/account/phone?done=removed", status_code=303)
