from __future__ import annotations

import msgspec


class AdminUserOut(msgspec.Struct):
    user_id: int
    email: str
    name: str
    created_at: int
    email_verified: bool
    is_admin: bool
    suspended: bool


class AdminOrganisationOut(msgspec.Struct):
    org_id: int
    name: str
    created_at: int
    members: int
    suspended: bool
