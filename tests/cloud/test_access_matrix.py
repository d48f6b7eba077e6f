"""Every route of the live cloud app by every kind of caller, against the route's declared policy.

The route list comes from ``create_app(...)`` itself, so a new endpoint is covered the moment
it exists: a route with no policy (``cloud.access.access_of`` is None) fails the first test
until its handler declares one with ``opt={"access": Access.X}``. Each other route is called
with real requests by each principal below; an allowed caller must get past the checks (not
401, 403, 404, nor sent to the login page) and a denied one must be stopped by them; nobody
ever gets a 5xx. Page forms are posted with a valid CSRF token here; the CSRF test posts every
page form without one.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from litestar import Litestar
from litestar.enums import RequestEncodingType
from litestar.testing import TestClient
from sqlalchemy import select

from cloud.access import Access, access_of
from cloud.app import create_app
from cloud.clock import now_s
from cloud.notifications.models import OutboxMessage
from cloud.orders.holds import HoldLine, create_hold
from cloud.ratelimit import DEFAULT_RULES
from cloud.settings import CloudSettings
from cloud.users.admins import make_admin
from tests.conftest import CloudSchemas
from tests.support import figure

ROLE_RANK = {"viewer": 1, "manager": 2, "owner": 3}
_CSRF = re.compile(r'name="_csrf_token" value="([^"]*)"')
PASSWORD = "correct horse"
GARBAGE_SECRET = "Zm9yZ2VkLXNlY3JldC1ub3QtaXNzdWVkLWJ5LXVz"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    access: Access | None
    min_role: str | None
    multipart: bool = False

    @property
    def page(self) -> bool:
        return not self.path.startswith(("/api/", "/schema", "/health", "/metrics", "/media"))

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def live_routes(app: Litestar) -> list[Route]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods - {"OPTIONS"}):
                data = handler.parsed_fn_signature.parameters.get("data")
                media = getattr(getattr(data, "kwarg_definition", None), "media_type", None)
                found.append(
                    Route(
                        method,
                        route.path,
                        access_of(handler),
                        handler.opt.get("min_role"),
                        multipart=media == RequestEncodingType.MULTI_PART,
                    )
                )
    return found


@dataclass
class Principal:
    name: str
    # The account's role in organisation A; platform admins act there as owners.
    role_in_a: str | None = None
    has_account: bool = False
    is_admin: bool = False
    is_venue: bool = False
    orders: bool = False  # placed the order whose reference the own-order pages show
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    @property
    def rank(self) -> int:
        return 3 if self.is_admin else ROLE_RANK.get(self.role_in_a or "", 0)


def allowed(route: Route, who: Principal) -> bool:
    access = route.access
    if access is Access.PUBLIC:
        return True
    if access is Access.CAPABILITY:
        return False  # the matrix presents a wrong secret: nobody's own credentials replace it
    if access is Access.ACCOUNT:
        return who.has_account
    if access is Access.ADMIN:
        return who.is_admin
    if access is Access.VENUE:
        return who.is_venue and not route.page
    if access is Access.OWN_ORDER:
        return who.orders
    assert access is Access.MEMBER
    needed = route.min_role or ("viewer" if route.method in {"GET", "HEAD"} else "manager")
    return who.rank >= ROLE_RANK[needed]


class World:
    """Organisation A (owner, manager, viewer; a venue; events E1 and E2), organisation B
    with its own venue, two buyers, a platform admin, and targets for the admin's actions."""

    def __init__(self, client: TestClient[Any], settings: CloudSettings) -> None:
        self.client = client
        self.settings = settings
        self.principals: list[Principal] = [Principal("anonymous")]
        owner = self._account("owner", organisation="A", role_in_a="owner")
        self.org_a = self._get(owner, "/api/v1/orgs")[0]["org_id"]
        other = self._account("other organisation", organisation="B")
        buyer = self._account("buyer", orders=True)
        self._account("other buyer")
        for role in ("manager", "viewer"):
            person = self._account(role, role_in_a=role)
            self._add_member(person.name, role)
        admin = self._account("platform admin", is_admin=True)
        del admin
        self.target_org = self._signup("target org owner", "T")["org"]
        self.target_user = self._signup("target user")["user_id"]
        self.bystander = self._new_member("viewer")

        venue = self._post(owner, "/api/v1/venues", {"name": "Hall A"})
        self.principals.append(
            Principal("venue key", is_venue=True, headers=_bearer(venue["api_key"]))
        )
        other_venue = self._post(other, "/api/v1/venues", {"name": "Hall B"})
        self.principals.append(
            Principal("other venue's key", is_venue=True, headers=_bearer(other_venue["api_key"]))
        )
        # The owner's own access token, a second past its expiry: worth nothing anywhere.
        expired = jwt.encode(
            {"sub": str(self._user_id(owner)), "exp": now_s() - 1, "typ": "access"},
            settings.jwt_secret,
            "HS256",
        )
        self.principals.append(Principal("owner's expired token", headers=_bearer(expired)))
        self.venue_id = venue["venue_id"]
        self.e1 = self._event(owner, venue["venue_id"], "Members' event")
        self.e2 = self._event(owner, venue["venue_id"], "Shop event")
        self.type_id = self._post(
            owner, f"/api/v1/events/{self.e1}/ticket-types", {"name": "General", "capacity": 500}
        )["type_id"]
        self.e2_type = self._post(
            owner, f"/api/v1/events/{self.e2}/ticket-types", {"name": "General", "capacity": 500}
        )["type_id"]
        self.voucher_id = self._post(
            owner, f"/api/v1/events/{self.e1}/vouchers", {"code": "MATRIX10", "percent_off": 10}
        )["voucher_id"]
        self.ticket_id = self._post(
            owner,
            f"/api/v1/events/{self.e1}/tickets",
            {"type_id": self.type_id, "holder_name": "Ada", "count": 1},
        )["tickets"][0]["ticket_id"]
        self.order_ref = self._order(self.e1, self.type_id, user_id=None)
        self.buyer_order_ref = self._order(self.e2, self.e2_type, user_id=self._user_id(buyer))
        for who in self.principals:
            self._open_session(who)
        # An email queued by a sign-up, for the admin's retry page.
        factory = self.client.app.state.session_factory
        with factory() as session:
            self.outbox_message = session.scalars(select(OutboxMessage.id).limit(1)).one()

    # -- setting up, through the JSON API and the login form --------------------------------

    def _signup(self, name: str, organisation: str | None = None) -> dict[str, Any]:
        email = f"{name.replace(' ', '-')}-{secrets.token_hex(3)}@example.org"
        body = {"email": email, "password": PASSWORD, "name": name}
        if organisation:
            body["organisation"] = organisation
        answer = self.client.post("/api/v1/auth/signup", json=body)
        assert answer.status_code == 201, answer.text
        out: dict[str, Any] = {**answer.json(), "email": email}
        if organisation:
            orgs = self.client.get("/api/v1/orgs", headers=_bearer(out["access_token"])).json()
            out["org"] = orgs[0]["org_id"]
        return out

    def _account(self, name: str, organisation: str | None = None, **traits: Any) -> Principal:
        made = self._signup(name, organisation)
        who = Principal(name, has_account=True, headers=_bearer(made["access_token"]), **traits)
        who.cookies["email"] = made["email"]
        if who.is_admin:
            factory = self.client.app.state.session_factory
            with factory() as session:
                make_admin(
                    session, made["email"], name=name, password=lambda: PASSWORD, now=now_s()
                )
                session.commit()
        self.principals.append(who)
        return who

    def _user_id(self, who: Principal) -> int:
        user_id: int = self._get(who, "/api/v1/auth/me")["user_id"]
        return user_id

    def _owner(self) -> Principal:
        return next(p for p in self.principals if p.role_in_a == "owner")

    def _add_member(self, name: str, role: str) -> None:
        who = next(p for p in self.principals if p.name == name)
        self._post(
            self._owner(),
            f"/api/v1/orgs/{self.org_a}/members",
            {"email": who.cookies["email"], "role": role},
        )

    def _new_member(self, role: str) -> int:
        made = self._signup("member")
        self._post(
            self._owner(),
            f"/api/v1/orgs/{self.org_a}/members",
            {"email": made["email"], "role": role},
        )
        user_id: int = made["user_id"]
        return user_id

    def _event(self, owner: Principal, venue_id: int, name: str) -> int:
        event = self._post(
            owner,
            "/api/v1/events",
            {
                "name": name,
                "venue_id": venue_id,
                "starts_at": "2030-06-01T19:00:00Z",
                "ends_at": "2030-06-01T23:00:00Z",
                "published": True,
            },
        )
        event_id: int = event["event_id"]
        return event_id

    def _order(self, event_id: int, type_id: int, user_id: int | None) -> str:
        factory = self.client.app.state.session_factory
        with factory() as session:
            token = create_hold(
                session,
                event_id=event_id,
                lines=[HoldLine(type_id, 1)],
                email="ada@example.org",
                name="Ada",
                hold_seconds=600,
                now=now_s(),
                user_id=user_id,
            ).token
            session.commit()
        answer = self.client.post(f"/api/v1/shop/holds/{token}/checkout")
        assert answer.status_code == 201, answer.text
        reference: str = answer.json()["reference"]
        return reference

    def _open_session(self, who: Principal) -> None:
        """A browser for ``who``: a CSRF cookie, and a session cookie for an account."""
        email = who.cookies.pop("email", None)
        self.client.cookies.clear()
        form = self.client.get("/account/login")
        who.csrf = unescape(_CSRF.search(form.text).group(1))  # type: ignore[union-attr]
        if email is not None:
            answer = self.client.post(
                "/account/login",
                data={"email": email, "password": PASSWORD, "_csrf_token": who.csrf},
                follow_redirects=False,
            )
            assert answer.status_code == 303, answer.text
        who.cookies = dict(self.client.cookies)

    def _get(self, who: Principal, path: str) -> Any:
        answer = self.client.get(path, headers={**who.headers, "Bilten-Organisation": ""})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def _post(self, who: Principal, path: str, body: dict[str, Any]) -> Any:
        answer = self.client.post(path, json=body, headers=who.headers)
        assert answer.status_code in {200, 201}, answer.text
        return answer.json()

    # -- calling a route as someone ---------------------------------------------------------

    def fill(self, route: Route, who: Principal, grant: bool) -> str:
        """``route``'s path with real ids of organisation A (or admin targets), so that only
        the caller decides the answer; a fresh member to change or remove for each allowed
        call, so one allowed call does not spoil the next."""
        shop = route.access in {Access.PUBLIC, Access.CAPABILITY, Access.OWN_ORDER}
        values: dict[str, Callable[[], object]] = {
            "event_id": lambda: self.e2 if shop else self.e1,
            "org_id": lambda: self.target_org if route.access is Access.ADMIN else self.org_a,
            "user_id": lambda: (
                self.target_user
                if route.access is Access.ADMIN
                else self._new_member("viewer")
                if grant and route.method != "GET"
                else self.bystander
            ),
            "venue_id": lambda: self.venue_id,
            "type_id": lambda: self.type_id,
            "voucher_id": lambda: self.voucher_id,
            "ticket_id": lambda: self.ticket_id,
            "reference": lambda: (
                self.buyer_order_ref if route.access is Access.OWN_ORDER else self.order_ref
            ),
            "token": lambda: GARBAGE_SECRET,
            "name": lambda: "0" * 64 + ".webp",
            "file_path": lambda: "site.css",
            "path": lambda: "nothing-here",
            # An order's page action, or what an admin does to an account or organisation.
            "action": lambda: "unsuspend" if route.path.startswith("/admin/") else "cancel",
            "message_id": lambda: self.outbox_message,
        }

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            assert name in values, f"{route}: the matrix has no value for {{{name}}}; add one"
            return str(values[name]())

        return re.sub(r"\{(\w+)(?::\w+)?\}", value, route.path)

    def call(self, route: Route, who: Principal, path: str, csrf: bool = True) -> httpx.Response:
        self.client.cookies.clear()
        for name, value in who.cookies.items():
            self.client.cookies.set(name, value)
        headers = {**who.headers, "Bilten-Organisation": str(self.org_a)}
        kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
        if route.method in {"POST", "PUT", "PATCH", "DELETE"}:
            if route.page:
                kwargs["data"] = {"_csrf_token": who.csrf} if csrf else {}
                if csrf:
                    headers["x-csrftoken"] = who.csrf
                if route.multipart:
                    kwargs["files"] = {"_": ("", b"", "application/octet-stream")}
            else:
                kwargs["content"] = b"{}"
                headers["Content-Type"] = "application/json"
        answer = self.client.request(route.method, path, **kwargs)
        location = answer.headers.get("location", "")
        forwards = answer.is_redirect and not sent_to_login(answer)
        if route.method == "GET" and forwards and location.startswith(route.path[:12]):
            # A page that only forwards (an organisation's root to its events): judge where it
            # leads, as a browser would.
            answer = self.client.request("GET", location, headers=headers, follow_redirects=False)
        return answer


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sent_to_login(answer: httpx.Response) -> bool:
    return answer.is_redirect and answer.headers["location"].startswith("/account/login")


@pytest.fixture(scope="module")
def world(cloud_schemas: CloudSchemas, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("matrix")
    settings = CloudSettings(
        database_url=cloud_schemas.sqlite_copy(folder / "cloud.db"),
        master_key=secrets.token_bytes(32),
        jwt_secret=secrets.token_urlsafe(48),
        data_dir=folder,
        cookie_secure=False,  # the test client speaks plain http
        # Hundreds of calls from one address: the limits have their own tests.
        rate_limits={
            name: dataclasses.replace(rule, limit=1_000_000) for name, rule in DEFAULT_RULES.items()
        },
    )
    with TestClient(create_app(settings)) as client:
        yield World(client, settings)


def test_every_route_declares_who_may_call_it(world: World) -> None:
    unclassified = [str(r) for r in live_routes(world.client.app) if r.access is None]
    assert not unclassified, (
        "these routes have no access policy; give each handler "
        '`opt={"access": Access.X}` (cloud/access.py says which): ' + ", ".join(unclassified)
    )


def _ordered(routes: list[Route]) -> list[Route]:
    # Logging out ends the caller's session: last, so every other route sees it live.
    return sorted(routes, key=lambda r: (r.path.endswith("/logout"), r.path, r.method))


def test_every_route_answers_every_caller_as_its_policy_says(world: World) -> None:
    routes = [r for r in _ordered(live_routes(world.client.app)) if r.access is not None]
    wrong: list[str] = []
    tally: Counter[str] = Counter()
    for route in routes:
        for who in world.principals:
            grant = allowed(route, who)
            path = world.fill(route, who, grant)
            answer = world.call(route, who, path)
            status = answer.status_code
            tally["allowed" if grant else "denied"] += 1
            if status >= 500:
                wrong.append(f"{route} as {who.name}: {status} {answer.text[:120]}")
            elif route.access is Access.PUBLIC:
                # Whatever a public route answers (a failed login's 401, a missing picture's
                # 404), it never refuses anyone for who they are.
                if status == 403:
                    wrong.append(f"{route} as {who.name} should be allowed: {status}")
            elif grant and (status in {401, 403, 404} or sent_to_login(answer)):
                wrong.append(f"{route} as {who.name} should be allowed: {status}")
            elif not grant and not _denied(route, who, answer):
                wrong.append(f"{route} as {who.name} should be denied: {status}")
    figure(
        "cloud access matrix",
        routes=len(routes),
        principals=len(world.principals),
        requests=sum(tally.values()),
        allowed=tally["allowed"],
        denied=tally["denied"],
        wrong=len(wrong),
    )
    assert not wrong, "\n".join(wrong)


def _denied(route: Route, who: Principal, answer: httpx.Response) -> bool:
    status = answer.status_code
    if route.access is Access.CAPABILITY:
        return 400 <= status < 500 or (
            route.page and answer.is_redirect and not sent_to_login(answer)
        )
    if route.page and not who.has_account:
        return sent_to_login(answer)
    return status in {401, 403, 404}


def test_every_page_form_refuses_a_post_without_its_csrf_token(world: World) -> None:
    """A signed-in owner's browser (the strongest page caller) posting any form of the site
    without the CSRF token, as a forged cross-site form would: refused, changing nothing."""
    owner = next(p for p in world.principals if p.role_in_a == "owner")
    forms = [
        r
        for r in live_routes(world.client.app)
        if r.page and r.method in {"POST", "PUT", "PATCH", "DELETE"}
    ]
    assert forms
    accepted = []
    for route in forms:
        answer = world.call(route, owner, world.fill(route, owner, grant=False), csrf=False)
        if answer.status_code != 403:
            accepted.append(f"{route}: {answer.status_code}")
    figure("cloud page CSRF", forms=len(forms), refused=len(forms) - len(accepted))
    assert not accepted, accepted


def test_the_pages_send_their_security_headers_and_flagged_cookies(
    cloud_schemas: CloudSchemas, tmp_path: Path
) -> None:
    """With deployment settings (Secure cookies): every page carries the security headers,
    and the session and CSRF cookies are HttpOnly, Secure and SameSite."""
    settings = CloudSettings(
        database_url=cloud_schemas.sqlite_copy(tmp_path / "cloud.db"),
        master_key=secrets.token_bytes(32),
        jwt_secret=secrets.token_urlsafe(48),
        data_dir=tmp_path,
    )
    with TestClient(create_app(settings), base_url="https://testserver.local") as client:
        form = client.get("/account/login")
        for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
            assert name in form.headers, name
        assert "frame-ancestors 'none'" in form.headers["Content-Security-Policy"]
        token = unescape(_CSRF.search(form.text).group(1))  # type: ignore[union-attr]
        email = f"flags-{secrets.token_hex(3)}@example.org"
        client.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD, "name": "F"})
        answer = client.post(
            "/account/login",
            data={"email": email, "password": PASSWORD, "_csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        cookies = [*form.headers.get_list("set-cookie"), *answer.headers.get_list("set-cookie")]
        for name in ("bilten_session", "bilten_csrf"):
            line = next(c for c in cookies if c.startswith(f"{name}=")).lower()
            assert "httponly" in line and "secure" in line and "samesite=lax" in line, line
