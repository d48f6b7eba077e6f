"""The manager's pages and the JSON the dashboard's script polls; thin, over the services."""

from __future__ import annotations

import ipaddress
import secrets
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader, Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody
from litestar.response import Redirect, Template

from shared.pairing import build_payload, check_venue_url
from shared.qr import make_qr
from venue_server import live, managers, pairing
from venue_server.dashboard import board
from venue_server.dashboard import devices as device_service
from venue_server.dashboard.auth import (
    BASE,
    LOGIN_COOKIE,
    LOGIN_PATH,
    SESSION_COOKIE,
    client_address,
    expired_cookie,
    services_of,
    session_cookie,
    session_token,
)
from venue_server.managers import LoginThrottled
from venue_server.store import Device

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


class LoginForm(msgspec.Struct):
    password: str = ""
    login_token: str = ""


class LogoutForm(msgspec.Struct):
    csrf_token: str = ""


class NameBody(msgspec.Struct):
    name: str


class GateBody(msgspec.Struct):
    gate: str


class PairingCodeBody(msgspec.Struct):
    gate: str


class DeviceAnswer(msgspec.Struct):
    device_id: str
    name: str
    gate: str
    revoked: bool


class PairingCodeAnswer(msgspec.Struct):
    code: str
    gate: str
    venue_url: str
    payload: str
    # The pairing QR as an SVG image (data: URI), for an <img> on the page.
    qr_svg_uri: str
    expires_at: int
    lan_reachable: bool


def _is_loopback(host: str | None) -> bool:
    if not host or host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def scanner_url(request: Request[Any, Any, Any], listen_host: str, default_port: int) -> str:
    """The address scanners should pair with: the one this page was reached at when that is a
    LAN address, else this machine's LAN address (or loopback, if the server listens only
    there and no scanner could reach anything else)."""
    url = request.url
    port = url.port or default_port
    if not _is_loopback(url.hostname) or _is_loopback(listen_host):
        return check_venue_url(f"{url.scheme}://{url.netloc}")
    from venue_server.cli import lan_address

    return check_venue_url(f"{url.scheme}://{lan_address()}:{port}")


def _device_answer(device: Device) -> DeviceAnswer:
    return DeviceAnswer(
        device_id=device.device_id, name=device.name, gate=device.gate, revoked=device.revoked
    )


class LoginController(Controller):
    """The login form: the only dashboard page served without a session."""

    path = LOGIN_PATH
    include_in_schema = False
    opt = {"public": True, "page": True}

    @get("/", sync_to_thread=True)
    def form(self, request: Request[Any, Any, Any]) -> Template:
        return self._form(request, message=None, status=200)

    @staticmethod
    def _form(request: Request[Any, Any, Any], message: str | None, status: int) -> Template:
        # Double-submit token: a page elsewhere cannot log this browser into our dashboard.
        token = secrets.token_urlsafe(24)
        return Template(
            "login.html",
            context={
                "venue_name": services_of(request).store.venue_name(),
                "login_token": token,
                "message": message,
            },
            status_code=status,
            cookies=[
                Cookie(
                    key=LOGIN_COOKIE,
                    value=token,
                    path=LOGIN_PATH,
                    httponly=True,
                    samesite="strict",
                    secure=request.url.scheme == "https",
                )
            ],
        )

    @post("/", sync_to_thread=True)
    def login(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        services = services_of(request)
        client = client_address(request)
        expected = request.cookies.get(LOGIN_COOKIE)
        if not expected or not secrets.compare_digest(expected.encode(), data.login_token.encode()):
            return self._form(request, "The login form expired; please try again.", 403)
        try:
            services.throttle.check(client)
        except LoginThrottled as exc:
            answer = self._form(request, f"Too many failed logins. {_retry(exc)}", 429)
            answer.headers["Retry-After"] = str(exc.retry_after)
            return answer
        stored = services.store.manager_password_hash() or ""
        if not managers.verify_password(data.password, stored):
            services.throttle.failed(client)
            return self._form(request, "Wrong password.", 401)
        services.throttle.succeeded(client)
        token = managers.open_session(services.store, services.now())
        return Redirect(
            BASE,
            status_code=303,
            cookies=[session_cookie(request, token), expired_cookie(LOGIN_COOKIE, LOGIN_PATH)],
        )


def _retry(exc: LoginThrottled) -> str:
    return f"Try again in {exc.retry_after} seconds."


class DashboardController(Controller):
    """The dashboard page and the JSON API behind it; every route needs a manager session."""

    path = BASE
    include_in_schema = False
    # Holders' names and the venue's devices: nothing for a browser's cache to keep.
    cache_control = CacheControlHeader(no_store=True)

    @get("/", sync_to_thread=True, opt={"page": True})
    def page(self, request: Request[Any, Any, Any]) -> Template:
        services = services_of(request)
        token = session_token(request) or ""
        return Template(
            "dashboard.html",
            context={
                "venue_name": services.store.venue_name(),
                "csrf_token": managers.csrf_token(token),
                "stale_after": _stale_after(services.settings),
            },
        )

    @post("/logout", sync_to_thread=True, opt={"page": True, "csrf": "form"})
    def logout(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[LogoutForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Redirect:
        token = session_token(request)
        if token and managers.csrf_matches(token, data.csrf_token):
            managers.close_session(services_of(request).store, token)
        return Redirect(LOGIN_PATH, status_code=303, cookies=[expired_cookie(SESSION_COOKIE, BASE)])

    @get("/api/overview", sync_to_thread=True)
    def overview(self, request: Request[Any, Any, Any]) -> board.Overview:
        services = services_of(request)
        return board.overview(
            services.store,
            services.status.snapshot(),
            services.clock(),
            _stale_after(services.settings),
        )

    @post("/api/devices/{device_id:str}/name", status_code=200, sync_to_thread=True)
    def rename(
        self, request: Request[Any, Any, Any], device_id: FromPath[str], data: JSONBody[NameBody]
    ) -> DeviceAnswer:
        store = services_of(request).store
        return _device_answer(device_service.rename(store, device_id, data.name))

    @post("/api/devices/{device_id:str}/gate", status_code=200, sync_to_thread=True)
    def set_gate(
        self, request: Request[Any, Any, Any], device_id: FromPath[str], data: JSONBody[GateBody]
    ) -> DeviceAnswer:
        store = services_of(request).store
        return _device_answer(device_service.set_gate(store, device_id, data.gate))

    @post("/api/devices/{device_id:str}/revoke", status_code=200, sync_to_thread=True)
    def revoke(self, request: Request[Any, Any, Any], device_id: FromPath[str]) -> DeviceAnswer:
        """Refuse the device from now on; a lost or stolen scanner also loses its live feed
        at once, rather than at the feed's next token check."""
        services = services_of(request)
        device = device_service.revoke(services.store, device_id, services.now())
        live.hub_of(request.app).disconnect_device(device_id)
        return _device_answer(device)

    @post("/api/pairing-codes", status_code=201, sync_to_thread=True)
    def pairing_code(
        self, request: Request[Any, Any, Any], data: JSONBody[PairingCodeBody]
    ) -> PairingCodeAnswer:
        """A one-time code for a new scanner, and its QR, for this page to show."""
        services = services_of(request)
        settings = services.settings
        venue_url = scanner_url(request, settings.host, settings.port)
        now = services.now()
        code = pairing.issue_pairing_code(services.store, data.gate, settings.pairing_code_ttl, now)
        payload = build_payload(venue_url, code)
        return PairingCodeAnswer(
            code=code,
            gate=data.gate.strip(),
            venue_url=venue_url,
            payload=payload,
            qr_svg_uri=make_qr(payload).svg_data_uri(scale=6, border=4),
            expires_at=now + settings.pairing_code_ttl,
            lan_reachable=not _is_loopback(request.url.hostname) or not _is_loopback(settings.host),
        )


def _stale_after(settings: Any) -> float:
    return float(getattr(settings, "stale_after", board.DEFAULT_STALE_AFTER))
