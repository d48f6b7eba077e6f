"""How one venue server instance is configured. Nothing is read at import time."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from venue_server.errors import SettingsError

DB_FILE = "venue.sqlite3"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _flag(raw: str) -> bool:
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(raw)


def default_data_dir(env: Mapping[str, str]) -> Path:
    if env.get("BILTEN_VENUE_DATA"):
        return Path(env["BILTEN_VENUE_DATA"])
    if env.get("BILTEN_DATA"):
        return Path(env["BILTEN_DATA"]) / "venue"
    return Path("bilten-data") / "venue"


@dataclass(frozen=True, slots=True)
class VenueSettings:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8100
    # Seconds between cloud sync rounds while the cloud answers.
    sync_interval: float = 5.0
    # Ceiling for the wait between attempts while the cloud is unreachable or erroring.
    max_backoff: float = 300.0
    http_timeout: float = 10.0
    upload_batch: int = 500
    pairing_code_ttl: int = 15 * 60
    # Announce the server on the LAN by mDNS while it serves, so gates find it by themselves.
    announce: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise SettingsError(f"port must be between 1 and 65535, got {self.port}")
        if self.sync_interval <= 0:
            raise SettingsError("sync interval must be positive")
        if self.max_backoff < self.sync_interval:
            raise SettingsError("max backoff must be at least the sync interval")
        if not 1 <= self.upload_batch <= 1000:
            raise SettingsError("upload batch must be between 1 and 1000 scans")

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILE

    def with_overrides(self, **overrides: Any) -> VenueSettings:
        """A copy with the given fields replaced; ``None`` values leave a field as it is."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> VenueSettings:
        """Settings from ``BILTEN_VENUE_*`` variables, then ``overrides`` (e.g. CLI flags)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {"data_dir": default_data_dir(env)}
        parsers: tuple[tuple[str, str, Callable[[str], Any], str], ...] = (
            ("host", "BILTEN_VENUE_HOST", str, "str"),
            ("port", "BILTEN_VENUE_PORT", int, "int"),
            ("sync_interval", "BILTEN_VENUE_SYNC_INTERVAL", float, "float"),
            ("max_backoff", "BILTEN_VENUE_MAX_BACKOFF", float, "float"),
            ("announce", "BILTEN_VENUE_ANNOUNCE", _flag, "switch (1/0, on/off)"),
        )
        for field, name, parse, kind in parsers:
            raw = env.get(name)
            if raw:
                try:
                    values[field] = parse(raw)
                except ValueError as exc:
                    raise SettingsError(f"{name}={raw!r} is not a valid {kind}") from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
