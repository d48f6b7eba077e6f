from __future__ import annotations

from typing import Annotated

import msgspec

Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=200)]


class SignupIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class SignupOut(msgspec.Struct):
    user_id: int
    access_token: str


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=254)]
    password: Annotated[str, msgspec.Meta(max_length=200)]


class LoginOut(msgspec.Struct):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type
