"""Public verification keys as scanners and venue servers hold them (never private keys)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shared.errors import KeyFileError
from shared.messages import KeyFile, PublicKeyEntry


def encode_public_key(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_public_key(text: str) -> Ed25519PublicKey:
    """Raises ValueError for anything that is not a raw 32-byte Ed25519 key in Base64url."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("public key is not Base64url") from exc
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True, slots=True)
class VerifyKey:
    key_id: int
    event_id: int
    public_key: Ed25519PublicKey

    def to_entry(self) -> PublicKeyEntry:
        return PublicKeyEntry(
            key_id=self.key_id,
            event_id=self.event_id,
            public_key=encode_public_key(self.public_key),
        )

    @classmethod
    def from_entry(cls, entry: PublicKeyEntry) -> VerifyKey:
        return cls(entry.key_id, entry.event_id, decode_public_key(entry.public_key))


class Keyring:
    """The verification keys a device trusts, by key id."""

    def __init__(self, keys: Iterable[VerifyKey] = ()) -> None:
        self._keys: dict[int, VerifyKey] = {}
        for key in keys:
            self.add(key)

    def add(self, key: VerifyKey) -> None:
        known = self._keys.get(key.key_id)
        if known is not None and (
            known.event_id != key.event_id
            or encode_public_key(known.public_key) != encode_public_key(key.public_key)
        ):
            raise KeyFileError(f"key id {key.key_id} is already bound to another key")
        self._keys[key.key_id] = key

    def get(self, key_id: int) -> VerifyKey | None:
        return self._keys.get(key_id)

    def __iter__(self) -> Iterator[VerifyKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def to_file(self) -> KeyFile:
        return KeyFile(keys=[key.to_entry() for key in self])

    def dump(self, path: Path) -> None:
        path.write_bytes(msgspec.json.format(msgspec.json.encode(self.to_file())))

    @classmethod
    def load(cls, path: Path) -> Keyring:
        """Read a key file (``keys.json``) as ``bilten demo`` and the venue export write it."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from exc
        try:
            key_file = msgspec.json.decode(data, type=KeyFile)
            return cls(VerifyKey.from_entry(entry) for entry in key_file.keys)
        except (msgspec.DecodeError, ValueError) as exc:
            raise KeyFileError(f"{path} is not a Bilten key file: {exc}") from exc
