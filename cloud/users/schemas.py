from __future__ import annotations

from typing import Annotated

import msgspec

Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=200)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class SignupIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    name: Name
    # An organizer names their organisation; a buyer leaves it out.
    organisation: Name | None = None


class LoginIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=254)]
    password: Annotated[str, msgspec.Meta(max_length=200)]


class TokensOut(msgspec.Struct):
    """What sign-up, login and refresh answer: a short-lived access token for the
    ``Authorization: Bearer`` header and the refresh token that gets the next one."""

    user_id: int
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type


class RefreshIn(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Secret


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Secret


class ResetRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=254)]


class ResetConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    token: Secret
    password: Password


class MembershipOut(msgspec.Struct):
    org_id: int
    name: str
    role: str


class MeOut(msgspec.Struct):
    user_id: int
    email: str
    name: str
    email_verified: bool
    is_admin: bool
    organisations: list[MembershipOut]
    # The mobile number for text messages, and whether the code sent to it came back.
    phone: str | None = None
    phone_verified: bool = False


class PhoneIn(msgspec.Struct, forbid_unknown_fields=True):
    phone: Annotated[str, msgspec.Meta(max_length=40)]


class PhoneCodeIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(max_length=20)]
