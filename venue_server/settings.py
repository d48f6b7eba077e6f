"""How one venue server instance is configured: defaults, a TOML file, the environment, flags.

Strongest first: command-line flags, ``BILTEN_VENUE_*`` environment variables, the config file
(``--config``, else ``$BILTEN_VENUE_CONFIG``, else ``/etc/bilten/venue.toml`` when it exists),
then the defaults of ``VenueSettings``. Nothing is read at import time, so a test builds any
settings it likes. The venue API key is deliberately not a setting: ``bilten venue pair`` keeps
it in the data directory, next to the database it unlocks, where no config file, unit file or
log line carries it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from venue_server.errors import SettingsError

DB_FILE = "venue.sqlite3"
DEFAULT_CONFIG = Path("/etc/bilten/venue.toml")
CONFIG_ENV = "BILTEN_VENUE_CONFIG"
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
# Words that mark a key as a credential someone tried to put in the config file.
_SECRET_WORDS = ("key", "secret", "token", "password")


class InvalidSetting(SettingsError):
    """A value no venue server can run with; ``keys`` are the settings involved."""

    def __init__(self, message: str, *keys: str) -> None:
        super().__init__(message)
        self.keys = keys


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
    # A gate or the cloud link not heard from for this many seconds counts as stale: its
    # figures are shown as old rather than as live.
    stale_after: float = 15 * 60.0
    log_level: str = "info"
    log_json: bool = False
    # The file these settings were read from, if any; shown at start-up, never a setting.
    config_file: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise InvalidSetting(f"port must be between 1 and 65535, got {self.port}", "port")
        if self.sync_interval <= 0:
            raise InvalidSetting("sync interval must be positive", "sync_interval")
        if self.max_backoff < self.sync_interval:
            raise InvalidSetting(
                f"max backoff ({self.max_backoff:g} s) must be at least the sync interval "
                f"({self.sync_interval:g} s)",
                "max_backoff",
                "sync_interval",
            )
        if self.http_timeout <= 0:
            raise InvalidSetting("http timeout must be positive", "http_timeout")
        if not 1 <= self.upload_batch <= 1000:
            raise InvalidSetting("upload batch must be between 1 and 1000 scans", "upload_batch")
        if self.pairing_code_ttl < 60:
            raise InvalidSetting(
                "pairing codes must stay valid for at least 60 seconds", "pairing_code_ttl"
            )
        if self.stale_after <= 0:
            raise InvalidSetting("stale after must be a positive number of seconds", "stale_after")
        level = self.log_level.lower()
        if level not in LOG_LEVELS:
            raise InvalidSetting(
                f"log level must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}",
                "log_level",
            )
        object.__setattr__(self, "log_level", level)

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_FILE

    def with_overrides(self, **overrides: Any) -> VenueSettings:
        """A copy with the given fields replaced; ``None`` values leave a field as it is."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> VenueSettings:
        """Settings from ``BILTEN_VENUE_*`` variables (and the file ``$BILTEN_VENUE_CONFIG``
        names, if any), then ``overrides``; never the default config file."""
        return cls.load(env=env, default_config=None, **overrides)

    @classmethod
    def load(
        cls,
        *,
        config: Path | None = None,
        env: Mapping[str, str] | None = None,
        default_config: Path | None = DEFAULT_CONFIG,
        **overrides: Any,
    ) -> VenueSettings:
        """Flags (``overrides``; ``None`` means not given) over the environment over the config
        file over the defaults. Raises SettingsError naming the setting and where it came from.
        """
        return resolve(config=config, env=env, default_config=default_config, **overrides)[0]


# -- the settings a file or the environment may set -----------------------------------------


@dataclass(frozen=True, slots=True)
class Kind:
    """How one kind of value is written in the config file and in the environment."""

    wanted: str  # what the user must write, for error messages
    from_toml: Callable[[Any], Any]  # raises TypeError when TOML gave another type
    from_text: Callable[[str], Any]  # raises ValueError on an unusable environment value


def _toml_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise TypeError


def _toml_whole(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError


def _toml_seconds(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise TypeError


def _toml_switch(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError


def _text_switch(raw: str) -> bool:
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(raw)


TEXT = Kind('a string in quotes, e.g. "0.0.0.0"', _toml_text, str)
PATH = Kind('a path in quotes, e.g. "/var/lib/bilten-venue"', _toml_text, Path)
WHOLE = Kind("a whole number, e.g. 8100", _toml_whole, int)
SECONDS = Kind("a number of seconds, e.g. 5 or 2.5", _toml_seconds, float)
SWITCH = Kind("true or false (1/0, on/off in the environment)", _toml_switch, _text_switch)


@dataclass(frozen=True, slots=True)
class Setting:
    name: str  # the key in the config file and the field of VenueSettings
    kind: Kind
    env: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", PATH, "BILTEN_VENUE_DATA"),
    Setting("host", TEXT, "BILTEN_VENUE_HOST"),
    Setting("port", WHOLE, "BILTEN_VENUE_PORT"),
    Setting("announce", SWITCH, "BILTEN_VENUE_ANNOUNCE"),
    Setting("sync_interval", SECONDS, "BILTEN_VENUE_SYNC_INTERVAL"),
    Setting("max_backoff", SECONDS, "BILTEN_VENUE_MAX_BACKOFF"),
    Setting("http_timeout", SECONDS, "BILTEN_VENUE_HTTP_TIMEOUT"),
    Setting("upload_batch", WHOLE, "BILTEN_VENUE_UPLOAD_BATCH"),
    Setting("pairing_code_ttl", WHOLE, "BILTEN_VENUE_PAIRING_CODE_TTL"),
    Setting("stale_after", SECONDS, "BILTEN_VENUE_STALE_AFTER"),
    Setting("log_level", TEXT, "BILTEN_VENUE_LOG_LEVEL"),
    Setting("log_json", SWITCH, "BILTEN_VENUE_LOG_JSON"),
)
_BY_NAME = {s.name: s for s in SETTINGS}
assert set(_BY_NAME) == {f.name for f in fields(VenueSettings)} - {"config_file"}

DEFAULT_DATA_DIR = Path("bilten-data") / "venue"


def default_data_dir(env: Mapping[str, str]) -> Path:
    """The data directory the environment alone points to (no config file considered)."""
    return _env_data_dir(env) or DEFAULT_DATA_DIR


def _env_data_dir(env: Mapping[str, str]) -> Path | None:
    if env.get("BILTEN_VENUE_DATA"):
        return Path(env["BILTEN_VENUE_DATA"])
    if env.get("BILTEN_DATA"):
        return Path(env["BILTEN_DATA"]) / "venue"
    return None


# -- the config file ------------------------------------------------------------------------


def config_path(
    explicit: Path | None, env: Mapping[str, str], default: Path | None = DEFAULT_CONFIG
) -> Path | None:
    """The config file to read: the one asked for (which must exist), else the default one if
    it exists, else none."""
    if explicit is not None:
        return explicit
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    if default is not None and default.is_file():
        return default
    return None


def read_config(path: Path) -> dict[str, Any]:
    """The settings in the TOML file at ``path``, checked key by key and type by type."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(
            f"config file {path} does not exist; create it (see venue.toml.example) or point "
            f"--config or {CONFIG_ENV} at the right file"
        ) from None
    except PermissionError:
        raise SettingsError(
            f"config file {path} cannot be read by this user; run as the service's user or "
            "make the file readable"
        ) from None
    except IsADirectoryError:
        raise SettingsError(f"config file {path} is a directory, not a TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None
    values: dict[str, Any] = {}
    for key, raw in document.items():
        setting = _BY_NAME.get(key)
        if setting is None:
            raise SettingsError(_unknown_key(path, key))
        try:
            value = setting.kind.from_toml(raw)
        except TypeError:
            raise SettingsError(
                f"{path}: {key} must be {setting.kind.wanted}, not {_shown(raw)}"
            ) from None
        if setting.kind is PATH:
            value = Path(value)
            # Relative to the file, not to wherever the server happens to be started from.
            value = value if value.is_absolute() else path.parent / value
        values[key] = value
    return values


def _unknown_key(path: Path, key: str) -> str:
    if any(word in key.lower() for word in _SECRET_WORDS):
        return (
            f"{path}: {key!r} is not a setting. The venue API key is never kept in the config "
            "file: `bilten venue pair --cloud URL --key KEY` stores it in the data directory"
        )
    known = ", ".join(s.name for s in SETTINGS)
    return f"{path}: unknown setting {key!r}; the settings are: {known}"


def _shown(raw: Any) -> str:
    """A wrong value as the user wrote it, with its TOML type, short enough for one line."""
    kind = {
        bool: "a boolean",
        int: "a whole number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(raw), type(raw).__name__)
    text = repr(raw)
    return f"{text[:60]}{'...' if len(text) > 60 else ''} ({kind})"


# -- layering -------------------------------------------------------------------------------


def from_environment(env: Mapping[str, str]) -> dict[str, Any]:
    """The settings ``BILTEN_VENUE_*`` variables set; empty variables count as unset."""
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = env.get(setting.env)
        if not raw:
            continue
        try:
            values[setting.name] = setting.kind.from_text(raw)
        except ValueError as exc:
            raise SettingsError(
                f"{setting.env}={raw!r} is not usable: {setting.name} must be {setting.kind.wanted}"
            ) from exc
    data_dir = _env_data_dir(env)
    if data_dir is not None:
        values["data_dir"] = data_dir
    return values


def resolve(
    *,
    config: Path | None = None,
    env: Mapping[str, str] | None = None,
    default_config: Path | None = DEFAULT_CONFIG,
    **overrides: Any,
) -> tuple[VenueSettings, dict[str, str]]:
    """The settings, and where each one that is not a default came from (for
    ``bilten venue config`` and for error messages)."""
    env = os.environ if env is None else env
    path = config_path(config, env, default_config)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    layers: list[tuple[dict[str, Any], Callable[[str], str]]] = []
    if path is not None:
        layers.append((read_config(path), lambda _: str(path)))
    layers.append((from_environment(env), _env_source(env)))
    layers.append(({k: v for k, v in overrides.items() if v is not None}, lambda _: "flag"))
    for layer, source in layers:
        for name, value in layer.items():
            if name not in _BY_NAME:
                raise TypeError(f"{name!r} is not a venue setting")
            values[name] = value
            sources[name] = source(name)
    values.setdefault("data_dir", DEFAULT_DATA_DIR)
    try:
        settings = VenueSettings(**values, config_file=path)
    except InvalidSetting as exc:
        where = "; ".join(f"{key} {_origin(sources.get(key))}" for key in exc.keys)
        raise InvalidSetting(f"{exc}; {where}", *exc.keys) from None
    return settings, sources


def _env_source(env: Mapping[str, str]) -> Callable[[str], str]:
    def source(name: str) -> str:
        if name == "data_dir" and not env.get("BILTEN_VENUE_DATA"):
            return "BILTEN_DATA"
        return _BY_NAME[name].env

    return source


def _origin(source: str | None) -> str:
    if source is None:
        return "is the default"
    if source == "flag":
        return "given on the command line"
    if source.startswith("BILTEN_"):
        return f"set by {source}"
    return f"set in {source}"
