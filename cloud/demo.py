"""`bilten demo`: the whole platform on one machine, on embedded defaults.

Each tier runs as its own process through its own `bilten` command and they meet only over
HTTP, exactly as they would at a real venue. The demo data is made through the cloud's public
API, so the demo exercises the same paths organizers use.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

import httpx

from shared.keys import Keyring, VerifyKey
from shared.messages import KeyFile, decode
from shared.qr import write_png

ORGANIZER_EMAIL = "organizer@demo.bilten.test"
ORGANIZER_PASSWORD = "demo-organizer-pass"  # noqa: S105 - printed for the demo user on purpose
MANAGER_PASSWORD = "demo-manager-pass"  # noqa: S105 - printed for the demo user on purpose
ADMIN_EMAIL = "admin@demo.bilten.test"
ADMIN_PASSWORD = "demo-admin-pass"  # noqa: S105 - printed for the demo user on purpose
SEED_FILE = "demo.json"
# Where the demo hall stands: its events are shown in Zagreb time (CET/CEST).
DEMO_TIME_ZONE = "Europe/Zagreb"

_FIRST = [
    "Ana", "Luka", "Mia", "Ivan", "Sara", "Marko", "Lena", "Filip", "Eva", "Nikola", "Maja",
    "Petra", "Tomislav", "Iva", "Josip", "Katarina", "Dino", "Nina", "Matej", "Lucija",
]  # fmt: skip
_LAST = [
    "Horvat", "Kovač", "Novak", "Babić", "Marić", "Jurić", "Knežević", "Petrović", "Vuković",
    "Šarić", "Božić", "Pavlović", "Grgić", "Radić", "Perić", "Matić", "Lovrić", "Tomić",
]  # fmt: skip
# Domains reserved for examples (RFC 2606), so no demo mail can reach a real person.
_MAIL_DOMAINS = ["example.com", "example.org", "example.net"]


class DemoError(RuntimeError):
    """The demo could not start; the message says why and what to do."""


@dataclass
class DemoPorts:
    cloud: int = 8000
    venue: int = 8100


@dataclass
class Seeded:
    venue_key: str
    events: list[dict[str, object]]
    tokens: list[str] = field(default_factory=list)


def _bilten(*args: str) -> list[str]:
    return [sys.executable, "-m", "shared.cli", *args]


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DemoError(f"the {what} exited with code {proc.returncode}; see its log")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise DemoError(f"the {what} did not become healthy at {url} within {timeout:.0f} s")


def _start(
    args: Sequence[str], processes: list[subprocess.Popen[bytes]], log: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start a tier; servers write to their own log file so the demo's output stays readable."""
    if log is None:
        proc = subprocess.Popen(args)
    else:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as sink:
            proc = subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT)
    processes.append(proc)
    return proc


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(processes):
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    for proc in reversed(processes):
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _ports_free(host: str, ports: DemoPorts) -> None:
    """Refuse to start on a port something already listens on (a demo still running, say):
    the demo would otherwise seed whatever answers there."""
    for what, port, flag in (
        ("cloud", ports.cloud, "--cloud-port"),
        ("venue server", ports.venue, "--venue-port"),
    ):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                raise DemoError(
                    f"{host}:{port}, the {what}'s port, is taken ({exc.strerror}); is another "
                    f"demo still running? Stop it, or choose another port with {flag}"
                ) from exc


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """While the demo runs, SIGTERM (``kill``, a service manager) and SIGHUP (its terminal
    closed) stop it as Ctrl-C does, so it stops its servers instead of leaving them
    running on their ports."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    wanted = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {number: signal.signal(number, stop) for number in wanted}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _check(response: httpx.Response, what: str) -> dict[str, object]:
    if response.status_code >= 400:
        raise DemoError(f"{what} failed: {response.status_code} {response.text}")
    data = response.json()
    assert isinstance(data, dict)
    return data


@dataclass(frozen=True)
class _TypePlan:
    name: str
    count: int
    price: int  # in cents
    max_entries: int = 1
    reentry: bool = False

    def describe(self) -> str:
        rules = []
        if self.max_entries != 1:
            rules.append(f"{self.max_entries} entries" if self.max_entries else "no entry limit")
        if self.reentry:
            rules.append("re-entry after exit")
        return f"{self.count} x {self.name}" + (f" ({', '.join(rules)})" if rules else "")


@dataclass(frozen=True)
class _EventPlan:
    name: str
    starts_at: datetime
    hours: int
    types: tuple[_TypePlan, ...]
    description: str = ""


def _plans(start: datetime) -> list[_EventPlan]:
    """Two ordinary nights and a two-day weekend, so the gate shows single-entry tickets,
    VIPs who may step out and back in, and passes good for one entry each day."""
    return [
        _EventPlan(
            "Opening Night",
            start,
            6,
            (_TypePlan("General Admission", 150, 2500), _TypePlan("VIP", 30, 8900, reentry=True)),
            "The season opens with a night of live music in the Demo Hall.",
        ),
        _EventPlan(
            "Closing Gala",
            start + timedelta(days=1),
            6,
            (_TypePlan("Standing", 40, 1900), _TypePlan("Balcony", 20, 3500)),
            "The season's last night: the orchestra and guests.",
        ),
        _EventPlan(
            "Harbour Weekend",
            start + timedelta(days=2),
            36,
            (_TypePlan("Weekend pass", 24, 6900, max_entries=2, reentry=True),),
            "Two days by the harbour; one pass lets you in once each day.",
        ),
    ]


@dataclass(frozen=True)
class _Order:
    """One buyer's order: who holds its tickets, their address and the order number staff
    can search for at the gate."""

    holder: str
    email: str
    ref: str
    tickets: int


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _orders(rng: random.Random, count: int, numbers: Iterator[int]) -> Iterator[_Order]:
    """Orders of one to three tickets that add up to ``count``."""
    left = count
    while left > 0:
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        email = f"{_ascii(first)}.{_ascii(last)}@{rng.choice(_MAIL_DOMAINS)}".lower()
        size = min(left, rng.choice((1, 1, 1, 2, 2, 3)))
        yield _Order(f"{first} {last}", email, f"BLT-{next(numbers)}", size)
        left -= size


def _login(http: httpx.Client) -> None:
    _check(
        http.post(
            "/api/v1/auth/signup",
            json={
                "email": ORGANIZER_EMAIL,
                "password": ORGANIZER_PASSWORD,
                "name": "Demo Organizer",
                "organisation": "Demo Productions",
            },
        ),
        "organizer sign-up",
    )
    login = _check(
        http.post(
            "/api/v1/auth/login",
            json={"email": ORGANIZER_EMAIL, "password": ORGANIZER_PASSWORD},
        ),
        "organizer login",
    )
    http.headers["Authorization"] = f"Bearer {login['access_token']}"


def _seed(cloud: str, data: Path, progress: Callable[[str], None]) -> Seeded:
    """Make the demo organizer, venue, events and their tickets through the public API."""
    rng = random.Random(7)  # the same names every run, so the demo reads the same
    numbers = itertools.count(100_001)
    with httpx.Client(base_url=cloud, timeout=30) as http:
        _login(http)
        venue = _check(
            http.post("/api/v1/venues", json={"name": "Demo Hall", "timezone": DEMO_TIME_ZONE}),
            "venue",
        )
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        seeded = Seeded(venue_key=str(venue["api_key"]), events=[])
        keyring = Keyring()
        tickets_dir = data / "tickets"
        tickets_dir.mkdir(parents=True, exist_ok=True)
        for plan in _plans(start):
            event = _check(
                http.post(
                    "/api/v1/events",
                    json={
                        "name": plan.name,
                        "venue_id": venue["venue_id"],
                        "starts_at": plan.starts_at.isoformat(),
                        "ends_at": (plan.starts_at + timedelta(hours=plan.hours)).isoformat(),
                        "description": plan.description,
                        "published": True,
                    },
                ),
                f"event {plan.name}",
            )
            event_id = event["event_id"]
            seeded.events.append({"event_id": event_id, "name": plan.name})
            for kind in plan.types:
                ticket_type = _check(
                    http.post(
                        f"/api/v1/events/{event_id}/ticket-types",
                        json={
                            "name": kind.name,
                            # Half of each type is issued below; the rest is on sale.
                            "capacity": kind.count * 2,
                            "price": kind.price,
                            "currency": "EUR",
                            "max_entries": kind.max_entries,
                            "reentry": kind.reentry,
                        },
                    ),
                    f"ticket type {kind.name}",
                )
                slug = f"{event_id}-{kind.name.lower().replace(' ', '-')}"
                for order in _orders(rng, kind.count, numbers):
                    issued = _check(
                        http.post(
                            f"/api/v1/events/{event_id}/tickets",
                            json={
                                "type_id": ticket_type["type_id"],
                                "holder_name": order.holder,
                                "holder_email": order.email,
                                "order_ref": order.ref,
                                "count": order.tickets,
                            },
                        ),
                        "ticket issue",
                    )
                    for ticket in issued["tickets"]:  # type: ignore[attr-defined]
                        seeded.tokens.append(ticket["token"])
                        write_png(
                            ticket["token"], tickets_dir / f"{slug}-{ticket['ticket_id']}.png"
                        )
                progress(f"  {plan.name}: {kind.describe()}")
            keys = decode(http.get(f"/api/v1/events/{event_id}/keys").content, KeyFile)
            for entry in keys.keys:
                keyring.add(VerifyKey.from_entry(entry))
        # Two revoked tickets, so the gate shows what a refund looks like.
        for token_text in seeded.tokens[-2:]:
            ticket_id = _ticket_id_of(token_text, keyring)
            _check(http.post(f"/api/v1/tickets/{ticket_id}/revoke"), "revoke")
    keyring.dump(data / "keys.json")
    _write_rehearsal(data / "rehearsal", seeded.tokens)
    (data / "tokens.txt").write_text("".join(f"{t}\n" for t in seeded.tokens))
    (data / "revoked.txt").write_text("".join(f"{t}\n" for t in seeded.tokens[-2:]))
    (data / SEED_FILE).write_text(
        json.dumps({"venue_key": seeded.venue_key, "events": seeded.events}, indent=2)
    )
    return seeded


def _write_rehearsal(folder: Path, tokens: Sequence[str]) -> None:
    """A door rehearsal the scanner window plays from a folder: admissions, a repeat, a
    refund and a forgery, one frame a second."""
    from shared.token import base32_decode, base32_encode

    folder.mkdir(parents=True, exist_ok=True)
    raw = bytearray(base32_decode(tokens[0]))
    raw[-1] ^= 0x01  # one flipped bit in the signature
    frames = [
        ("1-admitted.png", tokens[0]),
        ("2-admitted.png", tokens[1]),
        ("3-same-ticket-again.png", tokens[0]),
        ("4-refunded.png", tokens[-1]),
        ("5-forged.png", base32_encode(bytes(raw))),
        ("6-admitted.png", tokens[2]),
    ]
    for name, text in frames:
        write_png(text, folder / name)


def _ticket_id_of(token_text: str, keyring: Keyring) -> str:
    from shared.token import verify_token

    return verify_token(token_text, keyring).ticket_ref


def _wait_for_manifest(venue_url: str, tickets: int, timeout: float = 60) -> None:
    """Let the venue server finish its first pull, so the demo gate starts with every ticket."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError, ValueError):
            if httpx.get(f"{venue_url}/health", timeout=2).json().get("tickets", 0) >= tickets:
                return
        time.sleep(0.3)
    raise DemoError(f"the venue server did not pull the {tickets} demo tickets in {timeout:.0f} s")


def _has_display() -> bool:
    return bool(
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    )


def _pairing_code(venue_data: Path, gate: str) -> str:
    out = subprocess.run(
        _bilten("venue", "pairing-code", "--gate", gate, "--data", str(venue_data), "--json"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    code = json.loads(out)["code"]
    assert isinstance(code, str)
    return code


def run_demo(
    data: Path,
    ports: DemoPorts,
    *,
    host: str = "127.0.0.1",
    seed_only: bool = False,
    scanner: bool = True,
    out: Callable[[str], None] = print,
) -> int:
    _ports_free(host, ports)
    with _stopped_by_signals():
        return _run_demo(data, ports, host=host, seed_only=seed_only, scanner=scanner, out=out)


def _run_demo(
    data: Path,
    ports: DemoPorts,
    *,
    host: str,
    seed_only: bool,
    scanner: bool,
    out: Callable[[str], None],
) -> int:
    data = data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    cloud_url = f"http://{host}:{ports.cloud}"
    venue_url = f"http://{host}:{ports.venue}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        cloud = _start(
            _bilten(
                "cloud",
                "serve",
                "--host",
                host,
                "--port",
                str(ports.cloud),
                "--data",
                str(data / "cloud"),
            ),
            processes,
            data / "logs" / "cloud.log",
        )
        _wait_healthy(cloud_url, cloud, "cloud")
        seed_path = data / SEED_FILE
        if seed_path.exists():
            seed = json.loads(seed_path.read_text())
            out(f"Using the demo data already in {data}")
        else:
            out("Seeding the demo organizer, venue, events and tickets...")
            seeded = _seed(cloud_url, data, out)
            seed = {"venue_key": seeded.venue_key, "events": seeded.events}
            tokens = len(seeded.tokens)
            out(f"Wrote {tokens} tokens to {data / 'tokens.txt'}, QR codes to {data / 'tickets'}")
        if seed_only:
            return 0
        # A platform admin, made the way an operator makes one (kept if it exists already).
        subprocess.run(
            _bilten(
                "cloud",
                "admin",
                "create",
                "--email",
                ADMIN_EMAIL,
                "--name",
                "Demo admin",
                "--data",
                str(data / "cloud"),
            ),
            input=f"{ADMIN_PASSWORD}\n".encode(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        # Background jobs: conflicts across venues, expired holds, and email (written as .eml
        # files into the cloud's data folder, as no SMTP server is set).
        _start(
            _bilten("cloud", "worker", "--data", str(data / "cloud")),
            processes,
            data / "logs" / "worker.log",
        )

        venue_data = data / "venue"
        subprocess.run(
            _bilten(
                "venue",
                "pair",
                "--cloud",
                cloud_url,
                "--key",
                seed["venue_key"],
                "--data",
                str(venue_data),
            ),
            check=True,
        )
        subprocess.run(
            _bilten("venue", "manager-password", "--password-stdin", "--data", str(venue_data)),
            input=f"{MANAGER_PASSWORD}\n".encode(),
            stdout=subprocess.DEVNULL,
            check=True,
        )
        venue = _start(
            _bilten(
                "venue",
                "serve",
                "--host",
                host,
                "--port",
                str(ports.venue),
                "--data",
                str(venue_data),
                "--sync-interval",
                "2",
            ),
            processes,
            data / "logs" / "venue.log",
        )
        _wait_healthy(venue_url, venue, "venue server")
        _wait_for_manifest(venue_url, len((data / "tokens.txt").read_text().split()))

        scanner_data = data / "scanner"
        # The scanner keeps its pairing in this file; pair only a fresh demo scanner.
        if not (scanner_data / "scanner.sqlite3").exists():
            code = _pairing_code(venue_data, "Main Entrance")
            subprocess.run(
                _bilten(
                    "scanner",
                    "pair",
                    "--venue",
                    venue_url,
                    "--code",
                    code,
                    "--name",
                    "Demo Scanner",
                    "--data",
                    str(scanner_data),
                ),
                check=True,
            )
        _print_banner(out, cloud_url, venue_url, data)
        if scanner and _has_display():
            gate = _start(
                _bilten(
                    "scanner",
                    "--data",
                    str(scanner_data),
                    "--source",
                    f"folder:{data / 'rehearsal'}",
                ),
                processes,
            )
            gate.wait()
        else:
            if scanner:
                out(
                    "No display found, so the scanner window is not opened. The servers keep "
                    "running; press Ctrl-C to stop."
                )
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
        return 0
    except subprocess.CalledProcessError as exc:
        raise DemoError(f"`{' '.join(exc.cmd[2:])}` failed with code {exc.returncode}") from exc
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(processes)


def _print_banner(out: Callable[[str], None], cloud: str, venue: str, data: Path) -> None:
    out("")
    out("Bilten demo is running")
    out(f"  Cloud API        {cloud}   (OpenAPI: {cloud}/schema)")
    out(f"  Venue server     {venue}   (OpenAPI: {venue}/schema)")
    out(f"  Venue dashboard  {venue}/dashboard   (manager password: {MANAGER_PASSWORD})")
    out(f"  Ticket shop      {cloud}/   (payments: the demo's local provider, no money moves)")
    out(f"  Organizer pages  {cloud}/organizer")
    out(f"  Organizer login  {ORGANIZER_EMAIL} / {ORGANIZER_PASSWORD}")
    out(f"  Admin pages      {cloud}/admin   (login: {ADMIN_EMAIL} / {ADMIN_PASSWORD})")
    out(f"  Tickets          {data / 'tickets'} (printable QR codes), {data / 'tokens.txt'}")
    out(f"  Revoked samples  {data / 'revoked.txt'}")
    out("  Attendee search  by name or email (horvat) or order number (BLT-100001)")
    out(f"  Door rehearsal   {data / 'rehearsal'} (what the scanner window is reading)")
    out(f"  Server logs      {data / 'logs'}")
    out(f"  Outgoing email   {data / 'cloud' / 'mail'} (the worker writes each message there)")
    out(f"  Public keys      {data / 'keys.json'}  (bilten ticket verify --keys ...)")
    out("")
