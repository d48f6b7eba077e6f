"""The visitor's account pages: sign up, log in and out, confirm the email address, reset a
forgotten password, and "My tickets", the orders bought while logged in.

Logging in starts a new cookie session (cloud.users.sessions) and ends the one the browser
had, so a session id planted before the login is worth nothing after it."""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import QueryParameter
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.access import Access
from cloud.asks import service as asks
from cloud.clock import now_s
from cloud.deps import ClientIp, Db, Limiter, Settings
from cloud.errors import CloudError
from cloud.orders import giving, links
from cloud.ratelimit import RateLimited
from cloud.settings import CloudSettings
from cloud.users import service, sessions
from cloud.venues.models import Venue
from cloud.web.deps import (
    SESSION_COOKIE,
    CurrentUser,
    cleared_session_cookie,
    local_path,
    require_user,
    session_cookie,
)
from cloud.web.forms import FormData, raw, sentence, text
from cloud.web.qr import qr_svg
from cloud.web.queries import orders_of_user, type_names
from cloud.web.templating import render

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD, MAX_PASSWORD = 8, 200
MAX_NAME = 200

# Messages a redirect may ask a page to show; only these, so no link can make the site say
# something of an attacker's choosing.
NOTICES = {
    "welcome": "Welcome! We sent you an email to confirm your address.",
    "logged-out": "You are logged out.",
    "password-reset": "Your password is changed. Please log in with the new one.",
    "verified": "Thank you, your email address is confirmed.",
    "link-sent": "We sent a new link to confirm your address; it works for three days.",
}

Token = Annotated[str, QueryParameter(max_length=200)]
Next = Annotated[str | None, QueryParameter(name="next", max_length=2000)]
Notice = Annotated[str | None, QueryParameter(max_length=40)]


def _page(
    request: Request[Any, Any, Any], template: str, status_code: int = 200, **context: Any
) -> Response[str]:
    return Response(
        render(request, template, **context),
        status_code=status_code,
        media_type=MediaType.HTML,
        headers={"Cache-Control": "no-store"},
    )


def _signed_in(
    settings: CloudSettings, db: Session, user_id: int, old: str | None, to: str
) -> Response[Any]:
    if old:
        sessions.end_session(db, old)
    token = sessions.start_session(db, user_id, now_s(), settings.session_ttl_s)
    response: Response[Any] = Redirect(to, status_code=303)
    response.set_cookie(session_cookie(settings, token))
    return response


def _given_to(db: Session, email: str, master_key: bytes) -> list[dict[str, Any]]:
    """The tickets given to ``email``, as the page shows them: with their QR codes, and a
    link to each one's own page (to print it or give it on) where it has one."""
    held = giving.held_at(db, email, now_s())
    names = type_names(db, [h.ticket.type_id for h in held])
    wanted = {h.event.venue_id for h in held}
    venues = {v.id: v for v in db.scalars(select(Venue).where(Venue.id.in_(wanted)))}
    shown = []
    for number, h in enumerate(held, start=1):
        kind = names.get(h.ticket.type_id, "")
        shown.append(
            {
                "ref": h.ticket.ticket_ref,
                "type_name": kind,
                "from": h.giver_name,
                "event": h.event,
                "venue": venues[h.event.venue_id],
                "qr": qr_svg(h.ticket.token, f"QR code of given ticket {number}, {kind}"),
                "url": links.ticket_path(master_key, h.ticket.ticket_ref, h.link),
            }
        )
    return shown


class AccountPages(Controller):
    path = "/account"
    include_in_schema = False

    @get("/", sync_to_thread=True, opt={"access": Access.ACCOUNT})
    def tickets(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        current_user: CurrentUser,
        settings: Settings,
        notice: Notice = None,
    ) -> Response[str]:
        user = require_user(current_user, request)
        with db:
            orders = orders_of_user(db, user.id)
            # Tickets given to the account's address show only once it has proved that the
            # address is its own: anyone can sign up with any address.
            given = (
                []
                if user.email_verified_at is None
                else _given_to(db, user.email, settings.master_key)
            )
        return _page(
            request,
            "account/tickets.html",
            user=user,
            orders=orders,
            given=given,
            notice=NOTICES.get(notice or ""),
            unverified=user.email_verified_at is None,
        )

    @get("/signup", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def signup_form(
        self, request: Request[Any, Any, Any], current_user: CurrentUser, next_path: Next = None
    ) -> Response[Any]:
        if current_user is not None:
            return Redirect(local_path(next_path) or "/account", status_code=303)
        return _page(request, "account/signup.html", values={}, errors=[], next=next_path)

    @post("/signup", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def signup(
        self,
        *,
        request: Request[Any, Any, Any],
        data: FormData,
        db: Db,
        settings: Settings,
        rate_limiter: Limiter,
        client_ip: ClientIp,
    ) -> Response[Any]:
        values = {
            "name": text(data, "name"),
            "email": text(data, "email"),
            "organisation": text(data, "organisation"),
        }
        password = raw(data, "password")
        next_path = local_path(text(data, "next"))
        problems = []
        if not values["name"] or len(values["name"]) > MAX_NAME:
            problems.append("Enter your name (at most 200 characters).")
        if not _EMAIL.match(values["email"]) or len(values["email"]) > 254:
            problems.append("Enter your email address, like name@example.org.")
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            problems.append("Choose a password of 8 to 200 characters.")
        if len(values["organisation"]) > MAX_NAME:
            problems.append("An organisation's name has at most 200 characters.")
        if not problems:
            rate_limiter.enforce("signup.ip", client_ip)
            try:
                with db:
                    user = service.sign_up(
                        db,
                        values["email"],
                        password,
                        values["name"],
                        organisation=values["organisation"] or None,
                        organisation_approved=not settings.approve_organisations,
                        public_url=settings.public_url,
                        now=now_s(),
                    )
                    return _signed_in(
                        settings,
                        db,
                        user.id,
                        request.cookies.get(SESSION_COOKIE),
                        next_path or "/account?notice=welcome",
                    )
            except RateLimited:
                raise
            except CloudError as exc:
                if exc.status_code >= 500:
                    raise
                problems.append(sentence(exc.detail))
        return _page(
            request,
            "account/signup.html",
            status_code=400 if problems else 200,
            values=values,
            errors=problems,
            next=next_path,
        )

    @get("/login", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def login_form(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUser,
        next_path: Next = None,
        notice: Notice = None,
    ) -> Response[Any]:
        if current_user is not None:
            return Redirect(local_path(next_path) or "/account", status_code=303)
        return _page(
            request,
            "account/login.html",
            email="",
            errors=[],
            next=local_path(next_path),
            notice=NOTICES.get(notice or ""),
        )

    @post("/login", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def login(
        self,
        *,
        request: Request[Any, Any, Any],
        data: FormData,
        db: Db,
        settings: Settings,
        rate_limiter: Limiter,
        client_ip: ClientIp,
    ) -> Response[Any]:
        email, password = text(data, "email"), raw(data, "password")
        next_path = local_path(text(data, "next"))
        # Every attempt counts, as in the API: a burst of parallel guesses is throttled too.
        rate_limiter.enforce_each(("login.ip", client_ip), ("login.account", email.lower()))
        try:
            with db:
                user = service.authenticate(db, email, password)
                return _signed_in(
                    settings,
                    db,
                    user.id,
                    request.cookies.get(SESSION_COOKIE),
                    next_path or "/account",
                )
        except RateLimited:
            raise
        except CloudError as exc:
            if exc.status_code >= 500:
                raise
            return _page(
                request,
                "account/login.html",
                status_code=exc.status_code,
                email=email,
                errors=[sentence(exc.detail)],
                next=next_path,
                notice=None,
            )

    @post("/logout", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def logout(self, request: Request[Any, Any, Any], db: Db, settings: Settings) -> Response[Any]:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            with db:
                sessions.end_session(db, token)
        response: Response[Any] = Redirect("/account/login?notice=logged-out", status_code=303)
        response.set_cookie(cleared_session_cookie(settings))
        return response

    @post("/verify/resend", sync_to_thread=True, opt={"access": Access.ACCOUNT})
    def resend_verification(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        settings: Settings,
        rate_limiter: Limiter,
        current_user: CurrentUser,
    ) -> Response[Any]:
        user = require_user(current_user, request)
        rate_limiter.enforce("verify_email.account", str(user.id))
        with db:
            service.resend_verification(db, user, settings.public_url, now_s())
        return Redirect("/account?notice=link-sent", status_code=303)

    @get("/verify", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def verify(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        current_user: CurrentUser,
        token: Token = "",
    ) -> Response[Any]:
        with db:
            service.verify_email(db, token, now_s())
        if current_user is not None:
            return Redirect("/account?notice=verified", status_code=303)
        return Redirect("/account/login?notice=verified", status_code=303)

    @get("/forgot", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def forgot_form(
        self, request: Request[Any, Any, Any], current_user: CurrentUser
    ) -> Response[str]:
        del current_user
        return _page(request, "account/forgot.html", sent=False, email="", errors=[])

    @post("/forgot", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def forgot(
        self,
        *,
        request: Request[Any, Any, Any],
        data: FormData,
        state: State,
        settings: Settings,
        rate_limiter: Limiter,
        client_ip: ClientIp,
    ) -> Response[str]:
        email = text(data, "email")
        if not _EMAIL.match(email):
            return _page(
                request,
                "account/forgot.html",
                status_code=400,
                sent=False,
                email=email,
                errors=["Enter your email address, like name@example.org."],
            )
        # Each request sends an email: limited like logins, so nobody can flood an inbox.
        rate_limiter.enforce_each(("login.ip", client_ip), ("login.account", email.lower()))
        page = _page(request, "account/forgot.html", sent=True, email=email, errors=[])
        # The account is looked up once the page has gone: its timing tells nobody either.
        page.background = asks.answer_later(
            state.session_factory, settings, asks.PASSWORD_RESET, email
        )
        return page

    @get("/reset", sync_to_thread=True, opt={"access": Access.PUBLIC})
    def reset_form(
        self, request: Request[Any, Any, Any], current_user: CurrentUser, token: Token = ""
    ) -> Response[str]:
        del current_user
        return _page(request, "account/reset.html", token=token, errors=[])

    @post("/reset", sync_to_thread=True, opt={"access": Access.CAPABILITY})
    def reset(self, request: Request[Any, Any, Any], data: FormData, db: Db) -> Response[Any]:
        token, password = text(data, "token"), raw(data, "password")
        problem = None
        if password != raw(data, "password_again"):
            problem = "The two passwords differ; please type the same one twice."
        elif not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            problem = "Choose a password of 8 to 200 characters."
        if problem is None:
            try:
                with db:
                    service.reset_password(db, token, password, now_s())
            except CloudError as exc:
                if exc.status_code >= 500:
                    raise
                problem = sentence(exc.detail)
            else:
                return Redirect("/account/login?notice=password-reset", status_code=303)
        return _page(request, "account/reset.html", status_code=400, token=token, errors=[problem])
