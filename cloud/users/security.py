"""Organizer credentials: Argon2 password hashes and short-lived HS256 access tokens."""

from __future__ import annotations

import time

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cloud.errors import Unauthorized

_HASHER = PasswordHasher()
_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def issue_access_token(user_id: int, secret: str, ttl_s: int) -> str:
    now = int(time.time())
    claims = {"sub": str(user_id), "iat": now, "exp": now + ttl_s, "typ": "organizer"}
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_access_token(token: str, secret: str) -> int:
    """The user id a valid, unexpired token names; Unauthorized otherwise."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("access token expired; log in again") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("invalid access token") from exc
    if claims.get("typ") != "organizer":
        raise Unauthorized("invalid access token")
    try:
        return int(claims["sub"])
    except ValueError as exc:
        raise Unauthorized("invalid access token") from exc
