"""Who an audit entry names as having acted, and where the request came from.

The request's dependencies tie both to its database session (``attach``) as soon as they
know them: the caller's address when the session opens, the account once the token or
cookie is checked. Services then record actions without passing the caller along; work
outside a request (the worker, the command line) acts as the platform itself."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

_ACTOR = "bilten.audit.actor"
_IP = "bilten.audit.ip"


@dataclass(frozen=True, slots=True)
class Actor:
    """An account (``user_id`` and its email when it acted), or a part of the platform
    (``user_id`` None and a name such as "system")."""

    user_id: int | None
    name: str

    @classmethod
    def account(cls, user_id: int, email: str) -> Actor:
        return cls(user_id, email)


SYSTEM = Actor(None, "system")
COMMAND_LINE = Actor(None, "command line")


def attach(session: Session, *, actor: Actor | None = None, ip: str | None = None) -> None:
    """Name who acts through ``session`` and from where; entries recorded in it say so."""
    if actor is not None:
        session.info[_ACTOR] = actor
    if ip is not None:
        session.info[_IP] = ip


def actor_of(session: Session) -> Actor:
    actor = session.info.get(_ACTOR)
    return actor if isinstance(actor, Actor) else SYSTEM


def ip_of(session: Session) -> str | None:
    ip = session.info.get(_IP)
    return ip if isinstance(ip, str) else None
