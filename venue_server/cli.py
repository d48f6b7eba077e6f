"""``bilten venue ...``: run the venue server, pair it with a cloud, pair scanners with it.

Registered through the ``bilten.commands`` entry point. Heavy imports happen inside handlers,
so ``bilten --help`` stays fast and works where the venue stack is not installed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from venue_server.settings import VenueSettings

if TYPE_CHECKING:
    from venue_server.discovery import VenueAnnouncer


def _settings(args: argparse.Namespace, **overrides: Any) -> VenueSettings:
    data = getattr(args, "data", None)
    return VenueSettings.from_env(data_dir=Path(data) if data else None, **overrides)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from venue_server.app import create_app
    from venue_server.logs import log_config

    settings = _settings(
        args,
        host=args.host,
        port=args.port,
        sync_interval=args.sync_interval,
        announce=False if args.no_announce else None,
    )
    app = create_app(settings, announcer=_announcer(settings))
    print(
        f"Bilten venue server on http://{settings.host}:{settings.port} "
        f"(data in {settings.data_dir})",
        flush=True,
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=log_config(args.log_json))
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


def _pair(args: argparse.Namespace) -> int:
    from venue_server.cloud_sync import CloudClient
    from venue_server.store import CloudLink, VenueStore

    settings = _settings(args)
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


def _pairing_code(args: argparse.Namespace) -> int:
    from shared.pairing import build_payload, check_venue_url
    from shared.qr import make_qr, write_png
    from venue_server.pairing import issue_pairing_code
    from venue_server.store import VenueStore

    settings = _settings(args, port=args.port)
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


def _devices(args: argparse.Namespace) -> int:
    from venue_server.store import VenueStore

    store = VenueStore(_settings(args).db_path)
    try:
        devices = store.devices()
    finally:
        store.close()
    for d in devices:
        state = "revoked" if d.revoked else "active"
        seen = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(d.last_seen or d.created_at))
        print(f"{d.device_id}\t{d.name}\t{d.gate}\t{state}\tlast seen {seen}")
    return 0


def _revoke_device(args: argparse.Namespace) -> int:
    from venue_server.store import VenueStore

    store = VenueStore(_settings(args).db_path)
    try:
        revoked = store.revoke_device(args.device_id, int(time.time()))
    finally:
        store.close()
    if not revoked:
        print(f"bilten: no active device {args.device_id!r}", file=sys.stderr)
        return 1
    print(f"Device {args.device_id} revoked; its next request is refused.")
    return 0


def _data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        metavar="DIR",
        help="data directory (default: $BILTEN_VENUE_DATA, $BILTEN_DATA/venue or "
        "./bilten-data/venue)",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    venue = sub.add_parser("venue", help="run and manage the venue server")
    commands = venue.add_subparsers(dest="venue_command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the venue server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1; LAN: 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8100)")
    serve.add_argument(
        "--sync-interval", type=float, metavar="S", help="seconds between cloud syncs (default 5)"
    )
    serve.add_argument("--log-json", action="store_true", help="log JSON lines")
    serve.add_argument(
        "--no-announce",
        action="store_true",
        help="do not announce this server on the LAN by mDNS (also BILTEN_VENUE_ANNOUNCE=0)",
    )
    _data_option(serve)
    serve.set_defaults(handler=_serve)

    pair = commands.add_parser("pair", help="pair this venue server with a cloud")
    pair.add_argument("--cloud", required=True, metavar="URL", help="the cloud's base URL")
    pair.add_argument("--key", required=True, help="the venue API key the cloud showed once")
    _data_option(pair)
    pair.set_defaults(handler=_pair)

    code = commands.add_parser("pairing-code", help="make a one-time code to pair a scanner")
    code.add_argument("--gate", default="main", help="the gate the scanner will serve")
    code.add_argument(
        "--url", help="venue server URL scanners should use (default: this machine's LAN IP)"
    )
    code.add_argument("--port", type=int, help="venue server port for the default URL")
    code.add_argument("--qr", metavar="FILE", help="where to save the QR image (PNG)")
    code.add_argument("--json", action="store_true", help="print one JSON object, for scripts")
    _data_option(code)
    code.set_defaults(handler=_pairing_code)

    devices = commands.add_parser("devices", help="list paired scanners")
    _data_option(devices)
    devices.set_defaults(handler=_devices)

    revoke = commands.add_parser("revoke-device", help="refuse a paired scanner from now on")
    revoke.add_argument("device_id")
    _data_option(revoke)
    revoke.set_defaults(handler=_revoke_device)
