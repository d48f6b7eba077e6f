"""The pages' security headers and CSRF protection.

Pages allow scripts, frames and connections only from this site and Stripe.js (the address in
``settings.stripe_js_url``, a local server in tests); no inline script runs anywhere, so a
string that slipped past escaping still cannot execute. No site may frame a page.

Forms are protected by Litestar's double-submit CSRF check: a cookie and a hidden field
(``csrf_field()`` in templates) that must match. The JSON API authenticates with Bearer
tokens, which a browser never attaches on its own, so it is left out, as are the payment
provider's webhook, static files and the operational endpoints.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from cloud.settings import CloudSettings

CSRF_COOKIE = "bilten_csrf"
CSRF_EXCLUDE = ["^/api/", "^/schema", "^/metrics", "^/health", "^/media/", "^/static/"]
DEFAULT_STRIPE_API = "https://api.stripe.com"


def csrf_config(settings: CloudSettings) -> CSRFConfig:
    # Its own key, derived from the JWT secret: a CSRF token can never serve as anything else.
    secret = hmac.new(
        settings.jwt_secret.encode("utf-8"), b"bilten web csrf v1", hashlib.sha256
    ).hexdigest()
    return CSRFConfig(
        secret=secret,
        cookie_name=CSRF_COOKIE,
        cookie_secure=settings.cookie_secure,
        cookie_httponly=True,
        cookie_samesite="lax",
        exclude=CSRF_EXCLUDE,
    )


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def security_headers(settings: CloudSettings) -> dict[str, str]:
    stripe_js = _origin(settings.stripe_js_url)
    stripe_api = _origin(settings.stripe_api_base or "") or DEFAULT_STRIPE_API
    scripts = " ".join(filter(None, ["'self'", stripe_js]))
    frames = " ".join(filter(None, [stripe_js, "https://hooks.stripe.com"]))
    connect = " ".join(dict.fromkeys(filter(None, ["'self'", stripe_js, stripe_api])))
    policy = "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            f"frame-src {frames}",
            f"connect-src {connect}",
            "img-src 'self' data:",
            # Stripe's card field sets inline styles on the elements it creates.
            "style-src 'self' 'unsafe-inline'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }


class SecurityHeaders:
    """Adds the security headers to every response of the routes it wraps, error pages
    included, unless a response set one itself."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
