from __future__ import annotations

from typing import Annotated

import msgspec

from cloud.orgs.models import Role

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]


class OrganisationIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name


class OrganisationOut(msgspec.Struct):
    org_id: int
    name: str
    role: Role


class MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=254)]
    role: Role


class RoleIn(msgspec.Struct, forbid_unknown_fields=True):
    role: Role


class MemberOut(msgspec.Struct):
    user_id: int
    email: str
    name: str
    role: Role
