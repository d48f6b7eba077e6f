"""Credentials: Argon2 password hashes, short-lived HS256 access tokens, and the random secrets
(refresh tokens, session cookies, email links) that are stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
import time

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cloud.errors import Unauthorized

_HASHER = PasswordHasher()
_ALGORITHM = "HS256"
ACCESS = "access"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    """256 random bits, URL-safe: a refresh token, a session cookie or an email link token."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What is stored of a secret. A plain hash suffices: the secret is random, not a password."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_access_token(user_id: int, secret: str, ttl_s: int) -> str:
    now = int(time.time())
    claims = {"sub": str(user_id), "iat": now, "exp": now + ttl_s, "typ": ACCESS}
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_access_token(token: str, secret: str) -> int:
    """The user id a valid, unexpired access token names; Unauthorized otherwise."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("access token expired; refresh it or log in again") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("invalid access token") from exc
    if claims.get("typ") != ACCESS:
        raise Unauthorized("invalid access token")
    try:
        return int(claims["sub"])
    except ValueError as exc:
        raise Unauthorized("invalid access token") from exc
