"""Every route of the live venue server by every kind of caller, against its declared policy.

The routes come from the running app, so a new one is covered as soon as it exists: one with
no policy (``venue_server.access.access_of`` is None) fails the first test. Each other route
is called over real HTTP by each principal: allowed callers get past the checks, denied ones
are stopped (401/403, or the login page for the dashboard's pages), nobody gets a 5xx.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from shared.messages import PairRequest
from tests.support import figure, serving
from tests.venue.dashboard_harness import PASSWORD
from venue_server.access import Access, access_of
from venue_server.app import create_app
from venue_server.managers import set_manager_password
from venue_server.pairing import issue_pairing_code, pair_device
from venue_server.settings import VenueSettings
from venue_server.store import VenueStore


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    access: Access | None

    @property
    def page(self) -> bool:
        return self.path in {"/dashboard", "/dashboard/logout"}

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def live_routes(app: object) -> list[Route]:
    return [
        Route(method, route.path, access_of(handler))
        for route in app.routes  # type: ignore[attr-defined]
        for handler in getattr(route, "route_handlers", [])
        for method in sorted(handler.http_methods - {"OPTIONS"})
    ]


@dataclass
class Principal:
    name: str
    device: bool = False
    manager: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)


def allowed(route: Route, who: Principal) -> bool:
    if route.access is Access.PUBLIC:
        return True
    if route.access is Access.PAIRING_CODE:
        return False  # the matrix presents a code the manager never issued
    if route.access is Access.DEVICE:
        return who.device
    assert route.access is Access.MANAGER
    return who.manager


def _pair(store: VenueStore, name: str) -> tuple[str, str]:
    code = issue_pairing_code(store, "North", 900, int(time.time()))
    paired = pair_device(store, PairRequest(code=code, device_name=name), int(time.time()))
    return paired.device_id, paired.device_token


def _manager_session(url: str) -> tuple[dict[str, str], str]:
    with httpx.Client(base_url=url, timeout=10) as http:
        form = http.get("/dashboard/login")
        token = re.search(r'name="login_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        answer = http.post("/dashboard/login", data={"password": PASSWORD, "login_token": token})
        assert answer.status_code == 303, answer.text
        page = http.get("/dashboard")
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        return dict(http.cookies), csrf


@dataclass
class World:
    url: str
    routes: list[Route]
    principals: list[Principal]
    bystander: str
    csrf: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folders = [tmp_path_factory.mktemp(name) for name in ("venue", "other-venue")]
    stores = [VenueStore(VenueSettings(data_dir=folder).db_path) for folder in folders]
    apps = [
        create_app(VenueSettings(data_dir=folder), store=store, sync=False)
        for folder, store in zip(folders, stores, strict=True)
    ]
    for store in stores:
        set_manager_password(store, PASSWORD)
    try:
        with serving(apps[0]) as here, serving(apps[1]) as there:
            store = stores[0]
            _, device_token = _pair(store, "Gate 1")
            revoked_id, revoked_token = _pair(store, "Gate 2")
            store.revoke_device(revoked_id, int(time.time()))
            bystander, _ = _pair(store, "Gate 3")
            _, foreign_token = _pair(stores[1], "Gate elsewhere")
            cookies, csrf = _manager_session(here.url)
            other_cookies, _ = _manager_session(there.url)
            principals = [
                Principal("anonymous"),
                Principal("device", device=True, headers=_bearer(device_token)),
                Principal("revoked device", headers=_bearer(revoked_token)),
                Principal("other venue's device", headers=_bearer(foreign_token)),
                Principal("manager", manager=True, cookies=cookies),
                Principal("other venue's manager", cookies=other_cookies),
                Principal("cloud venue key", headers=_bearer("bvk_" + "x" * 40)),
            ]
            routes = live_routes(apps[0])
            yield World(here.url, routes, principals, bystander, csrf)
    finally:
        for store in stores:
            store.close()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _call(world: World, route: Route, who: Principal, csrf: bool = True) -> tuple[int, str]:
    path = re.sub(
        r"\{(\w+)(?::\w+)?\}",
        lambda m: {"device_id": world.bystander, "file_path": "dashboard.css", "path": "nope"}[
            m.group(1)
        ],
        route.path,
    )
    headers = dict(who.headers)
    body: dict[str, object] = {}
    if route.method == "POST":
        if route.path == "/api/v1/pair":
            body = {"json": {"v": 1, "code": "ABCD-EFGH", "device_name": "intruder"}}
        elif route.path == "/api/v1/scans":
            body = {"json": {"v": 1, "scans": []}}
        elif route.page:
            body = {"data": {"csrf_token": world.csrf if csrf else ""}}
        else:
            body = {"json": {"name": "Renamed", "gate": "South"}}
        if csrf and who.manager:
            headers["X-CSRF-Token"] = world.csrf
    with (
        httpx.Client(base_url=world.url, timeout=10, cookies=who.cookies) as http,
        http.stream(route.method, path, headers=headers, **body) as answer,  # type: ignore[arg-type]
    ):
        # The live feed never ends by itself: its status line is the answer here.
        return answer.status_code, answer.headers.get("location", "")


def test_every_venue_route_declares_who_may_call_it(world: World) -> None:
    unclassified = [str(r) for r in world.routes if r.access is None]
    assert not unclassified, (
        "these routes have no access policy; declare one with "
        '`opt={"access": Access.X}` (venue_server/access.py): ' + ", ".join(unclassified)
    )


def test_the_dashboard_refuses_changes_without_its_csrf_token(world: World) -> None:
    """The manager's own browser, tricked into posting from another site (no CSRF token)."""
    manager = next(p for p in world.principals if p.manager)
    changes = [r for r in world.routes if r.access is Access.MANAGER and r.method == "POST"]
    changes.sort(key=lambda r: r.path.endswith("/logout"))
    assert changes
    accepted = []
    for route in changes:
        status, _ = _call(world, route, manager, csrf=False)
        if route.path == "/dashboard/logout":
            # Logging out clears the browser's cookie whatever it posts, but the session
            # itself ends only with the page's token: a forged post cannot end it.
            status = 403 if _call(world, Route("GET", "/dashboard", None), manager)[0] == 200 else 0
        if status != 403:
            accepted.append(f"{route}: {status}")
    figure("venue dashboard CSRF", changes=len(changes), refused=len(changes) - len(accepted))
    assert not accepted, accepted


def test_every_venue_route_answers_every_caller_as_its_policy_says(world: World) -> None:
    wrong: list[str] = []
    tally: Counter[str] = Counter()
    # Logging out ends the manager's session: last.
    routes = sorted(
        (r for r in world.routes if r.access is not None),
        key=lambda r: (r.path.endswith("/logout"), r.path, r.method),
    )
    for route in routes:
        public: set[int] = set()
        for who in world.principals:
            grant = allowed(route, who)
            status, location = _call(world, route, who)
            tally["allowed" if grant else "denied"] += 1
            to_login = location.startswith("/dashboard/login")
            if status >= 500:
                wrong.append(f"{route} as {who.name}: {status}")
            elif route.access is Access.PUBLIC:
                # Whatever a public route answers (the login form without its form token is
                # 403), it answers everyone alike.
                public.add(status)
            elif grant and (status in {401, 403} or (to_login and route.method == "GET")):
                wrong.append(f"{route} as {who.name} should be allowed: {status}")
            elif not grant and not (status in {401, 403} or (route.page and to_login)):
                wrong.append(f"{route} as {who.name} should be denied: {status}")
        if len(public) > 1:
            wrong.append(f"{route} is public but answers callers differently: {sorted(public)}")
    figure(
        "venue access matrix",
        routes=len(routes),
        principals=len(world.principals),
        requests=sum(tally.values()),
        allowed=tally["allowed"],
        denied=tally["denied"],
        wrong=len(wrong),
    )
    assert not wrong, "\n".join(wrong)
