"""Per-event Ed25519 signing keys. Private halves are sealed with AES-256-GCM under the master
key and are only ever unsealed in memory to sign; only public keys leave the cloud."""

from __future__ import annotations

import functools
import os
import struct
from collections.abc import Iterable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import ColumnElement, Integer, Label, bindparam, select
from sqlalchemy.orm import Session

from cloud.audit.actions import Action
from cloud.audit.log import record
from cloud.clock import now_s
from cloud.errors import CloudError
from cloud.events.models import Event, SigningKey
from shared.keys import VerifyKey, decode_public_key, encode_public_key
from shared.messages import PublicKeyEntry

_NONCE_BYTES = 12
_U32_MAX = 2**32 - 1


class KeyUnsealError(CloudError):
    """A sealed key that does not open: wrong master key, or a row tampered with."""


def _associated_data(key_id: int) -> bytes:
    return b"bilten-signing-key/v1" + struct.pack(">I", key_id)


def seal(master_key: bytes, key_id: int, private_key: Ed25519PrivateKey) -> bytes:
    raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(master_key).encrypt(nonce, raw, _associated_data(key_id))


# Every checkout signs with its event's current key: the keys in use stay unsealed in this
# process's memory (where signing puts them anyway), never on disk. A rotated key is another
# id and other sealed bytes, so it is unsealed afresh; a tampered row never matches.
@functools.lru_cache(maxsize=256)
def unseal(master_key: bytes, key_id: int, sealed: bytes) -> Ed25519PrivateKey:
    nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    try:
        raw = AESGCM(master_key).decrypt(nonce, ciphertext, _associated_data(key_id))
    except InvalidTag as exc:
        raise KeyUnsealError(f"signing key {key_id} cannot be unsealed") from exc
    return Ed25519PrivateKey.from_private_bytes(raw)


def create_signing_key(session: Session, event_id: int, master_key: bytes) -> SigningKey:
    """Add a fresh key for ``event_id`` to the session's transaction."""
    private_key = Ed25519PrivateKey.generate()
    row = SigningKey(
        event_id=event_id,
        public_key=encode_public_key(private_key.public_key()),
        sealed_private_key=b"",
        created_at=now_s(),
    )
    session.add(row)
    # The key id is the row id, and it is sealed into the ciphertext, so it must exist first.
    session.flush()
    if row.id > _U32_MAX:
        raise CloudError("signing key ids are exhausted (they must fit in 32 bits)")
    row.sealed_private_key = seal(master_key, row.id, private_key)
    event = session.get(Event, event_id)
    record(
        session,
        Action.EVENT_KEY_CREATED,
        f"signing key {row.id} created for event {event_id}"
        + (f" {event.name!r}" if event is not None else ""),
        target=("event", event_id),
        org_id=event.organizer_id if event is not None else None,
        detail={"key_id": row.id, "public_key": row.public_key},
    )
    return row


def current_key(session: Session, event_id: int) -> SigningKey:
    row = session.scalar(
        select(SigningKey)
        .where(SigningKey.event_id == event_id)
        .order_by(SigningKey.id.desc())
        .limit(1)
    )
    if row is None:
        raise CloudError(f"event {event_id} has no signing key")
    return row


_CURRENT_SEALED = (
    select(SigningKey.id, SigningKey.sealed_private_key)
    .where(SigningKey.event_id == bindparam("event_id", type_=Integer))
    .order_by(SigningKey.id.desc())
    .limit(1)
)


def current_private_key(
    session: Session, master_key: bytes, event_id: int
) -> tuple[int, Ed25519PrivateKey]:
    """The id and the unsealed private half of the key new tickets of ``event_id`` are
    signed with (its newest)."""
    row = session.connection().execute(_CURRENT_SEALED, {"event_id": event_id}).first()
    return private_key(master_key, event_id, *(row or (None, None)))


def current_key_columns(event_id: ColumnElement[int]) -> tuple[Label[int], Label[bytes]]:
    """The id and the sealed private half of the current key of the event ``event_id``
    names, as two columns of a query that reads the event anyway (a checkout's), which
    saves the query of :func:`current_private_key`. Read them with :func:`private_key`."""
    newest = (
        select(SigningKey.id, SigningKey.sealed_private_key)
        .where(SigningKey.event_id == event_id)
        .order_by(SigningKey.id.desc())
        .limit(1)
    )
    # One snapshot: the two read the same key.
    key_id = newest.with_only_columns(SigningKey.id).scalar_subquery()
    sealed = newest.with_only_columns(SigningKey.sealed_private_key).scalar_subquery()
    return key_id.label("key_id"), sealed.label("sealed_key")


def private_key(
    master_key: bytes, event_id: int, key_id: int | None, sealed: bytes | None
) -> tuple[int, Ed25519PrivateKey]:
    """The key id and the unsealed private half of the :func:`current_key_columns`."""
    if key_id is None or sealed is None:
        raise CloudError(f"event {event_id} has no signing key")
    return key_id, unseal(master_key, key_id, sealed)


def public_entries(session: Session, event_ids: Iterable[int]) -> list[PublicKeyEntry]:
    ids = list(event_ids)
    if not ids:
        return []
    rows: Sequence[SigningKey] = session.scalars(
        select(SigningKey).where(SigningKey.event_id.in_(ids)).order_by(SigningKey.id)
    ).all()
    return [
        VerifyKey(row.id, row.event_id, decode_public_key(row.public_key)).to_entry()
        for row in rows
    ]
