"""Who may call each route of the venue server: one access policy per route handler.

Dashboard routes sit behind the manager guard and are the manager's unless they say
``opt={"public": True}`` (the login form) or ``{"assets": True}`` (CSS and JS); scanner routes
that take the ``device`` dependency are the paired devices'. Any other handler declares its
policy with ``opt={"access": Access.X}``. ``tests/venue/test_access_matrix.py`` walks every
route of the live app, fails for one with no policy, and calls the others as each kind of
caller (anonymous, a paired device, a revoked one, another venue's device, the manager,
another venue's manager, a cloud venue key).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Access(StrEnum):
    # Anyone: health, metrics, the API schema, the dashboard's login form and assets.
    PUBLIC = "public"
    # Anyone holding a one-time pairing code from the manager.
    PAIRING_CODE = "pairing-code"
    # A scanner paired with this venue server and not revoked (Bearer device token).
    DEVICE = "device"
    # The venue's manager: a dashboard session, and its CSRF token for changes.
    MANAGER = "manager"


def access_of(handler: Any) -> Access | None:
    """The handler's declared policy, else the one its guard or dependencies imply."""
    from venue_server.dashboard.auth import manager_guard

    declared = handler.opt.get("access")
    if declared is not None:
        return Access(declared)
    if manager_guard in handler.resolve_guards():
        public = handler.opt.get("public") or handler.opt.get("assets")
        return Access.PUBLIC if public else Access.MANAGER
    if "device" in handler.parsed_fn_signature.parameters:
        return Access.DEVICE
    return None
