"""Recording actions, and reading them back.

``record`` is what the rest of the cloud calls, in the transaction of the action: the entry
is written when that transaction commits (just before its COMMIT) and vanishes with it on a
rollback, so the log holds an action exactly when the action happened. Entries are chained
(cloud.audit.chain), which needs them written one transaction at a time: PostgreSQL takes a
transaction-scoped advisory lock for the moment between reading the chain's head and
committing; SQLite's writers are serialised already (``BEGIN IMMEDIATE``, see cloud.db).
Taking that lock as the very last step keeps it from ever being held while waiting for
another lock, so it cannot deadlock with the action's own locks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, event, func, or_, select, text
from sqlalchemy.orm import Session, SessionTransaction

from cloud.audit.actions import Action
from cloud.audit.actor import Actor, actor_of, ip_of
from cloud.audit.chain import GENESIS, canonical_json, entry_hash
from cloud.audit.models import AuditEntry
from cloud.clock import now_s

_PENDING = "bilten.audit.pending"
# pg_advisory_xact_lock's key: "BLTAUDIT" read as a 64-bit number.
_LOCK_KEY = int.from_bytes(b"BLTAUDIT", "big") & 0x7FFF_FFFF_FFFF_FFFF
MAX_SUMMARY = 500
# Keys that must never reach the log, whatever a caller passes by mistake.
_SECRET_KEYS = frozenset({"password", "api_key", "token", "secret", "private_key", "refresh_token"})


@dataclass(frozen=True, slots=True)
class _Pending:
    at: int
    action: Action
    actor: Actor
    ip: str | None
    org_id: int | None
    target_type: str
    target_id: str
    summary: str
    detail: str


def record(
    session: Session,
    action: Action,
    summary: str,
    *,
    target: tuple[str, object] | None = None,
    org_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
    actor: Actor | None = None,
    now: int | None = None,
) -> None:
    """Log ``action`` in ``session``'s transaction, written when it commits. ``summary``
    is the sentence people read ("refunded order K7PM3QXA4B"); ``target`` the thing acted
    on, as (kind, id); ``detail`` plain JSON values for filters and tools. The actor is the
    session's (cloud.audit.actor) unless given."""
    values = dict(detail or {})
    leaked = _SECRET_KEYS.intersection(values)
    if leaked:
        raise ValueError(f"secrets never go into the audit log: {sorted(leaked)}")
    kind, ident = target if target is not None else ("", "")
    if not session.in_transaction():
        # Tie the entry to a transaction, so a rollback or close before any query drops it.
        session.begin()
    pending: list[_Pending] = session.info.setdefault(_PENDING, [])
    pending.append(
        _Pending(
            at=now_s() if now is None else now,
            action=action,
            actor=actor or actor_of(session),
            ip=ip_of(session),
            org_id=org_id,
            target_type=kind[:32],
            target_id=str(ident)[:64],
            summary=" ".join(summary.split())[:MAX_SUMMARY],
            detail=canonical_json(values),
        )
    )


def writes_at_commit(session: Session) -> bool:
    """Whether the session's commit will write audit entries recorded in its transaction."""
    return bool(session.info.get(_PENDING))


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    entries: list[_Pending] | None = session.info.pop(_PENDING, None)
    if entries:
        _append(session, entries)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    # A transaction that ends without committing (rollback, close) takes its entries along.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _append(session: Session, entries: Sequence[_Pending]) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    head = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (head[0], head[1]) if head is not None else (0, GENESIS)
    for pending in entries:
        seq += 1
        row = AuditEntry(
            seq=seq,
            at=pending.at,
            action=pending.action.value,
            actor_id=pending.actor.user_id,
            actor=pending.actor.name[:254],
            ip=pending.ip,
            org_id=pending.org_id,
            target_type=pending.target_type,
            target_id=pending.target_id,
            summary=pending.summary,
            detail=pending.detail,
            prev_hash=prev,
            hash="",
        )
        row.hash = entry_hash(row, prev)
        prev = row.hash
        session.add(row)
    session.flush()


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """A search of the log: every given field must match. ``text`` finds words in the
    summary, the actor or the target; ``before`` pages back from a seq (newest first)."""

    text: str = ""
    action: str = ""
    actor_id: int | None = None
    org_id: int | None = None
    since: int | None = None
    until: int | None = None
    before: int | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry] = field(default_factory=list)
    # The ``before`` of the next (older) page, None on the last page.
    next_before: int | None = None


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(query: AuditQuery) -> Select[Any]:
    statement = select(AuditEntry)
    if query.action:
        # "order" matches order.cancelled and order.refunded; "order.refunded" only itself.
        if "." in query.action:
            statement = statement.where(AuditEntry.action == query.action)
        else:
            prefix = _escape_like(query.action) + ".%"
            statement = statement.where(AuditEntry.action.like(prefix, escape="\\"))
    if query.actor_id is not None:
        statement = statement.where(AuditEntry.actor_id == query.actor_id)
    if query.org_id is not None:
        statement = statement.where(AuditEntry.org_id == query.org_id)
    if query.since is not None:
        statement = statement.where(AuditEntry.at >= query.since)
    if query.until is not None:
        statement = statement.where(AuditEntry.at < query.until)
    for word in query.text.split():
        pattern = f"%{_escape_like(word.lower())}%"
        statement = statement.where(
            or_(
                func.lower(AuditEntry.summary).like(pattern, escape="\\"),
                func.lower(AuditEntry.actor).like(pattern, escape="\\"),
                func.lower(AuditEntry.target_id).like(pattern, escape="\\"),
                func.lower(AuditEntry.ip).like(pattern, escape="\\"),
            )
        )
    return statement


def search(session: Session, query: AuditQuery) -> AuditPage:
    """One page of matching entries, newest first."""
    statement = _filtered(query)
    if query.before is not None:
        statement = statement.where(AuditEntry.seq < query.before)
    ordered = statement.order_by(AuditEntry.seq.desc()).limit(query.limit + 1)
    rows: list[AuditEntry] = list(session.scalars(ordered))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return AuditPage(rows, rows[-1].seq if more and rows else None)


def count(session: Session, query: AuditQuery) -> int:
    statement = _filtered(query).with_only_columns(func.count()).order_by(None)
    return int(session.scalar(statement) or 0)
