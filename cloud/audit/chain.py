"""The hash chain over the audit log, and its verifier.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own fields in a
fixed, canonical encoding. Changing, removing or inserting a row anywhere changes every
hash after it; ``verify`` walks the chain and names the first row that does not fit.

A chain alone cannot stop someone who may rewrite the whole table from recomputing every
hash after their change: keep the head (``bilten cloud audit verify`` prints it) somewhere
else now and then, and a later verify shows whether the history up to it is unchanged."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.audit.models import AuditEntry

# The hash before the first entry.
GENESIS = "0" * 64
_BATCH = 1000


def canonical_json(value: object) -> str:
    """Sorted keys, no spaces, non-ASCII kept: one text for one value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(entry: AuditEntry, prev_hash: str) -> str:
    fields = [
        entry.seq,
        entry.at,
        entry.action,
        entry.actor_id,
        entry.actor,
        entry.ip,
        entry.org_id,
        entry.target_type,
        entry.target_id,
        entry.summary,
        entry.detail,
    ]
    payload = prev_hash + "\n" + canonical_json(fields)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Verification:
    """What a walk of the chain found. ``ok`` when every entry fits; otherwise ``broken_at``
    is the first entry (by seq) that does not, and ``problem`` says how."""

    entries: int
    head_seq: int
    head_hash: str
    broken_at: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def _entries(session: Session) -> Iterator[AuditEntry]:
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(_BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
        session.expunge_all()


def verify(session: Session) -> Verification:
    """Walk the whole log in order: numbering without gaps from 1, each ``prev_hash`` the
    hash before it, each ``hash`` recomputed from the row."""
    count, expected_seq, prev = 0, 1, GENESIS
    for entry in _entries(session):
        problem = None
        if entry.seq != expected_seq:
            problem = f"entry {expected_seq} is missing (the next one is {entry.seq})"
        elif entry.prev_hash != prev:
            problem = "it does not continue the chain (previous hash differs)"
        elif entry.hash != entry_hash(entry, prev):
            problem = "its content does not match its hash (changed after it was written)"
        if problem is not None:
            return Verification(count, expected_seq - 1, prev, broken_at=entry.seq, problem=problem)
        count += 1
        expected_seq += 1
        prev = entry.hash
    return Verification(count, expected_seq - 1, prev)
