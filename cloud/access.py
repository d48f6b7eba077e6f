"""Who may call each route: one access policy per route handler, declared where it is defined.

Most handlers need not say anything: a policy follows from the dependencies they take as
parameters (a dependency merely offered by the router, and not taken, protects nothing)
(``admin``: platform admins; ``member``/``team_member``: members of the acting organisation;
``venue``: a venue's API key; ``api_user``: any account). Every other handler declares its
policy with ``opt={"access": Access.X}`` on the handler, its controller or its router, e.g.

    @get("/orgs/{org_id:int}/team", opt={"access": Access.MEMBER})
    @post("/orgs/{org_id:int}/team/members", opt={"access": Access.MEMBER, "min_role": "owner"})

``tests/cloud/test_access_matrix.py`` walks every route of the live app and fails for a route
with no policy; for the others it checks each kind of caller (anonymous, buyers, organizer
viewer/manager/owner, another organisation, a platform admin, venue keys) against the policy
with real requests.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Access(StrEnum):
    """An access policy. Routes of the JSON API answer a denied caller with 401 (no or bad
    credentials), 403 (not allowed) or 404 (another tenant's object); pages send a visitor
    without a session to the login page."""

    # Anyone, with nothing to check (the shop, sign-up and login, health, the API schema).
    PUBLIC = "public"
    # Anyone holding a secret the request carries: a hold or order token in the URL, a refresh
    # or email-link token in the body, a payment provider's signature. No account replaces it.
    CAPABILITY = "capability"
    # Any signed-in account: a Bearer access token on the API, the session cookie on pages.
    ACCOUNT = "account"
    # Members of the organisation acted for: viewers read (GET), managers change, owners where
    # the handler says ``opt={"min_role": "owner"}``; platform admins act as owners.
    MEMBER = "member"
    # Platform admins only.
    ADMIN = "admin"
    # A venue's API key; each venue sees only its own data.
    VENUE = "venue"
    # The account that placed the order.
    OWN_ORDER = "own-order"


# A policy that follows from what the handler depends on, most specific first.
_FROM_DEPENDENCY = (
    ("admin", Access.ADMIN),
    ("member", Access.MEMBER),
    ("team_member", Access.MEMBER),
    ("organizer_id", Access.MEMBER),
    ("venue", Access.VENUE),
    ("api_user", Access.ACCOUNT),
)


def access_of(handler: Any) -> Access | None:
    """The handler's policy: declared in its ``opt`` (on it or any layer above it), else
    derived from the dependencies it takes; None when it has neither."""
    declared = handler.opt.get("access")
    if declared is not None:
        return Access(declared)
    taken = handler.parsed_fn_signature.parameters
    for name, access in _FROM_DEPENDENCY:
        if name in taken:
            return access
    return None
