"""``bilten venue ...``: run the venue server, pair it with a cloud, pair scanners with it.

Registered through the ``bilten.commands`` entry point. Heavy imports happen inside handlers,
so ``bilten --help`` stays fast and works where the venue stack is not installed.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from venue_server.errors import SettingsError
from venue_server.settings import LOG_LEVELS, SETTINGS, VenueSettings, resolve

if TYPE_CHECKING:
    from venue_server.discovery import VenueAnnouncer

# Exit status for settings that cannot be used, as for a wrong command line: nothing started.
EXIT_BAD_SETTINGS = 2
# Exit status when the server could not start (uvicorn's own for this).
EXIT_NOT_STARTED = 3
# Flags of every command that share their name with a setting (e.g. pairing-code's --port).
_FLAG_SETTINGS = ("host", "port", "sync_interval", "log_level", "log_json")
# Seconds open requests get after SIGTERM; the service unit's TimeoutStopSec leaves room for
# this plus the sync round in flight.
GRACEFUL_SHUTDOWN_S = 20

SettingsHandler = Callable[[argparse.Namespace, VenueSettings], int]


def _resolved(args: argparse.Namespace) -> tuple[VenueSettings, dict[str, str]]:
    """The settings for this command line: its flags over the environment over the file."""
    overrides: dict[str, Any] = {name: getattr(args, name, None) for name in _FLAG_SETTINGS}
    data = getattr(args, "data", None)
    overrides["data_dir"] = Path(data) if data else None
    if getattr(args, "no_announce", False):
        overrides["announce"] = False
    config = getattr(args, "config", None)
    return resolve(config=Path(config) if config else None, **overrides)


def _with_settings(handler: SettingsHandler) -> Callable[[argparse.Namespace], int]:
    """Load the settings before the command does anything; unusable ones end it with exit
    status 2 and one line naming the setting and where it came from."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            settings = _resolved(args)[0]
        except SettingsError as exc:
            print(f"bilten: {exc}", file=sys.stderr)
            return EXIT_BAD_SETTINGS
        return handler(args, settings)

    return run


def _serve(args: argparse.Namespace, settings: VenueSettings) -> int:
    import uvicorn

    from venue_server.app import create_app
    from venue_server.logs import configure_venue_logging
    from venue_server.serving import VenueServer

    configure_venue_logging(settings)
    app = create_app(settings, announcer=_announcer(settings))
    source = f", settings from {settings.config_file}" if settings.config_file else ""
    print(
        f"Bilten venue server on http://{settings.host}:{settings.port} "
        f"(data in {settings.data_dir}{source})",
        flush=True,
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        # Logging is set up above; the app writes its own access lines, without secrets.
        log_config=None,
        access_log=False,
        # Requests still open this long after SIGTERM are cut, so a stop never hangs on one
        # client; then the sync round in flight finishes (each manifest page lands whole).
        # Live streams are ended as the stop begins, so they are not waited for.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    server = VenueServer(config, on_stop=app.begin_stop)
    # Exits 0 after a stop by SIGTERM or SIGINT; uvicorn itself raises SystemExit(3) when it
    # cannot start (e.g. the port is taken).
    server.run()
    return 0 if server.started else EXIT_NOT_STARTED


def _config(args: argparse.Namespace) -> int:
    """Print the settings in force and where each came from, so an operator can check what
    the service will run with before starting it."""
    try:
        settings, sources = _resolved(args)
    except SettingsError as exc:
        print(f"bilten: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    values = {s.name: getattr(settings, s.name) for s in SETTINGS}
    if args.json:
        shown = {k: str(v) if isinstance(v, Path) else v for k, v in values.items()}
        print(
            json.dumps(
                {
                    "config_file": str(settings.config_file) if settings.config_file else None,
                    "settings": shown,
                    "sources": {s.name: sources.get(s.name, "default") for s in SETTINGS},
                }
            )
        )
        return 0
    print(f"# config file: {settings.config_file or 'none'}")
    for name, value in values.items():
        shown_value = json.dumps(str(value) if isinstance(value, Path) else value)
        print(f"{name} = {shown_value}  # {sources.get(name, 'default')}")
    return 0


def _announcer(settings: VenueSettings) -> VenueAnnouncer | None:
    if not settings.announce:
        return None
    try:
        from venue_server.discovery import VenueAnnouncer
    except ImportError as exc:  # zeroconf missing: serve anyway, gates can type the URL
        print(f"Not announcing on the LAN: {exc}", file=sys.stderr)
        return None
    from venue_server.store import VenueStore

    store = VenueStore(settings.db_path)
    try:
        venue_name = store.venue_name()
    finally:
        store.close()
    return VenueAnnouncer(host=settings.host, port=settings.port, venue_name=venue_name)


def _pair(args: argparse.Namespace, settings: VenueSettings) -> int:
    from venue_server.cloud_sync import CloudClient
    from venue_server.store import CloudLink, VenueStore

    url = args.cloud.rstrip("/")
    with CloudClient(url, args.key, timeout=settings.http_timeout) as client:
        identity = client.me()
    store = VenueStore(settings.db_path)
    try:
        store.set_cloud_link(CloudLink(url, args.key, identity.name))
    finally:
        store.close()
    print(f"Paired with {url} as venue {identity.name!r} (id {identity.venue_id}).")
    print("Start or restart `bilten venue serve` to begin syncing.")
    return 0


def lan_address() -> str:
    """This machine's address on the LAN scanners share, or loopback if there is none."""
    # Connecting a UDP socket sends nothing; it only makes the OS pick the outgoing interface.
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("10.255.255.255", 1))
        address: str = sock.getsockname()[0]
        return address
    return "127.0.0.1"


def _pairing_code(args: argparse.Namespace, settings: VenueSettings) -> int:
    from shared.pairing import build_payload, check_venue_url
    from shared.qr import make_qr, write_png
    from venue_server.pairing import issue_pairing_code
    from venue_server.store import VenueStore

    # Checked before a code is made, so a mistyped --url wastes no code.
    venue_url = check_venue_url(args.url or f"http://{lan_address()}:{settings.port}")
    store = VenueStore(settings.db_path)
    try:
        code = issue_pairing_code(store, args.gate, settings.pairing_code_ttl, int(time.time()))
    finally:
        store.close()
    payload = build_payload(venue_url, code)
    minutes = settings.pairing_code_ttl // 60
    png = Path(args.qr) if args.qr else settings.data_dir / "pairing-code.png"
    write_png(payload, png)
    if args.json:
        print(json.dumps({"code": code, "gate": args.gate, "payload": payload, "qr": str(png)}))
        return 0
    print(f"Pairing code for gate {args.gate!r}: {code}")
    print(f"Good for one scanner, for {minutes} minutes. Venue URL: {venue_url}")
    print(f"QR payload: {payload}")
    make_qr(payload).terminal(out=sys.stdout, compact=True)
    print(f"QR image: {png}")
    return 0


def _devices(args: argparse.Namespace, settings: VenueSettings) -> int:
    from venue_server.store import VenueStore

    store = VenueStore(settings.db_path)
    try:
        devices = store.devices()
    finally:
        store.close()
    for d in devices:
        state = "revoked" if d.revoked else "active"
        seen = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(d.last_seen or d.created_at))
        print(f"{d.device_id}\t{d.name}\t{d.gate}\t{state}\tlast seen {seen}")
    return 0


def _revoke_device(args: argparse.Namespace, settings: VenueSettings) -> int:
    from venue_server.store import VenueStore

    store = VenueStore(settings.db_path)
    try:
        revoked = store.revoke_device(args.device_id, int(time.time()))
    finally:
        store.close()
    if not revoked:
        print(f"bilten: no active device {args.device_id!r}", file=sys.stderr)
        return 1
    print(f"Device {args.device_id} revoked; its next request is refused.")
    return 0


def _manager_password(args: argparse.Namespace, settings: VenueSettings) -> int:
    from venue_server.managers import ManagerError, read_new_password, set_manager_password
    from venue_server.store import VenueStore

    try:
        password = read_new_password(args.password_stdin, sys.stdin)
    except ManagerError as exc:
        print(f"bilten: {exc}", file=sys.stderr)
        return 1
    store = VenueStore(settings.db_path)
    try:
        set_manager_password(store, password)
    finally:
        store.close()
    print("Manager password set; dashboards that were open must log in again.")
    print(f"Dashboard: http://{settings.host}:{settings.port}/dashboard")
    return 0


def _data_option(parser: argparse.ArgumentParser) -> None:
    """--config and --data, which every venue command takes: all of them work on the data
    directory the service uses, so an operator's command sees what the service sees."""
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML settings file (default: $BILTEN_VENUE_CONFIG, else /etc/bilten/venue.toml "
        "if it exists); flags and BILTEN_VENUE_* variables override it",
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        help="data directory (default: $BILTEN_VENUE_DATA, $BILTEN_DATA/venue, data_dir from "
        "the config file, or ./bilten-data/venue)",
    )


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1; LAN: 0.0.0.0)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8100)")
    parser.add_argument(
        "--sync-interval", type=float, metavar="S", help="seconds between cloud syncs (default 5)"
    )
    parser.add_argument(
        "--log-json", action="store_true", default=None, help="log JSON lines (log_json = true)"
    )
    parser.add_argument(
        "--log-level", choices=LOG_LEVELS, type=str.lower, help="least severe level logged"
    )
    parser.add_argument(
        "--no-announce",
        action="store_true",
        help="do not announce this server on the LAN by mDNS (also BILTEN_VENUE_ANNOUNCE=0)",
    )
    _data_option(parser)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    venue = sub.add_parser("venue", help="run and manage the venue server")
    commands = venue.add_subparsers(dest="venue_command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the venue server",
        description="Settings, strongest first: flags, BILTEN_VENUE_* environment variables, "
        "the config file, defaults. Exit status 2: a setting cannot be used; nothing started.",
    )
    _serve_options(serve)
    serve.set_defaults(handler=_with_settings(_serve))

    config = commands.add_parser(
        "config",
        help="show the settings serve would run with, and where each comes from",
        description="Takes the same options as serve. Exit status 2 when a setting cannot be used.",
    )
    _serve_options(config)
    config.add_argument("--json", action="store_true", help="print one JSON object")
    config.set_defaults(handler=_config)

    pair = commands.add_parser("pair", help="pair this venue server with a cloud")
    pair.add_argument("--cloud", required=True, metavar="URL", help="the cloud's base URL")
    pair.add_argument("--key", required=True, help="the venue API key the cloud showed once")
    _data_option(pair)
    pair.set_defaults(handler=_with_settings(_pair))

    code = commands.add_parser("pairing-code", help="make a one-time code to pair a scanner")
    code.add_argument("--gate", default="main", help="the gate the scanner will serve")
    code.add_argument(
        "--url", help="venue server URL scanners should use (default: this machine's LAN IP)"
    )
    code.add_argument("--port", type=int, help="venue server port for the default URL")
    code.add_argument("--qr", metavar="FILE", help="where to save the QR image (PNG)")
    code.add_argument("--json", action="store_true", help="print one JSON object, for scripts")
    _data_option(code)
    code.set_defaults(handler=_with_settings(_pairing_code))

    devices = commands.add_parser("devices", help="list paired scanners")
    _data_option(devices)
    devices.set_defaults(handler=_with_settings(_devices))

    revoke = commands.add_parser("revoke-device", help="refuse a paired scanner from now on")
    revoke.add_argument("device_id")
    _data_option(revoke)
    revoke.set_defaults(handler=_with_settings(_revoke_device))

    manager = commands.add_parser(
        "manager-password", help="set the password that opens the venue dashboard"
    )
    manager.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from one line of standard input instead of asking twice",
    )
    _data_option(manager)
    manager.set_defaults(handler=_with_settings(_manager_password))
