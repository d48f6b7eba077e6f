"""A popular on-sale: many buyers at once race for one ticket type of an event.

A real cloud as it is deployed: ``bilten cloud serve --workers W`` (W API processes sharing
the port) on a temporary PostgreSQL database at 127.0.0.1:5432 (user postgres, dropped
afterwards) and, when it answers, Redis at 127.0.0.1:6379 for the shared rate limits and page
cache (under a key prefix of its own, deleted afterwards). The benchmark talks to it as a load
balancer would: every buyer comes from an address of its own in ``X-Forwarded-For``, which the
cloud believes from 127.0.0.1 (``BILTEN_TRUSTED_PROXIES``), so the rate limits stay on.

An organizer sets up one event with one ticket type of capacity C through the JSON API; then N
buyers (aiohttp) all start at once: read the event's storefront, hold a ticket (with
``--max-tickets K``, 1 to K of them, fewer if fewer are left) and check out with the local
payment provider. Demand is well above capacity, so the event sells out.

Printed: orders and tickets per second over the whole sale (first request to last answer),
the CPU one order took (API processes, the rest of the machine, this client) and how many
cores of this machine's speed 300 orders a second would therefore keep busy,
hold and checkout latency (p50/p99), how many of the cloud's transactions were waiting for a
row lock (the ticket type's stock row, which every hold and checkout changes; sampled every
10 ms), and the oversold count read straight from the database (tickets beyond capacity;
must be 0). The baseline, from the same run on the same server:
as many single-row conditional UPDATE transactions as there were orders, straight through
psycopg on as many connections as the cloud's pools hold (at most what the server accepts),
all on one row (a stock counter, as
every hold of one ticket type updates one row).

Run from the repository root::

    .venv/bin/python benchmarks/onsale.py --quick   # 100 buyers for 50 tickets, seconds
    .venv/bin/python benchmarks/onsale.py           # 1,000 buyers for 500 tickets

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from base64 import b64encode
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import psycopg  # noqa: E402

PG = "host=127.0.0.1 port=5432 user=postgres"
REDIS = ("127.0.0.1", 6379)
PER_ORDER_LIMIT = 10
# The orders per second a popular on-sale should reach.
TARGET_ORDERS_PER_S = 300


@dataclass
class Results:
    sold: int = 0
    orders: int = 0
    refused: int = 0
    refused_holds: int = 0  # of them, the buyers refused only when they asked to hold
    errors: list[str] = field(default_factory=list)
    front_ms: list[float] = field(default_factory=list)
    hold_ms: list[float] = field(default_factory=list)
    checkout_ms: list[float] = field(default_factory=list)


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def buyer(
    n: int,
    http: aiohttp.ClientSession,
    event_id: int,
    max_tickets: int,
    start: asyncio.Event,
    out: Results,
) -> None:
    rng = random.Random(n)
    # One address per buyer, as the load balancer reports it.
    headers = {"X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}
    await start.wait()
    began = time.perf_counter()
    async with http.get(f"/api/v1/shop/events/{event_id}", headers=headers) as answer:
        if answer.status != 200:
            out.errors.append(f"storefront {answer.status}: {(await answer.text())[:200]}")
            return
        front = await answer.json()
    out.front_ms.append((time.perf_counter() - began) * 1000)
    kind = front["ticket_types"][0]
    if kind["available"] == 0:
        out.refused += 1
        return
    quantity = min(rng.randint(1, max_tickets), kind["available"])
    began = time.perf_counter()
    async with http.post(
        "/api/v1/shop/holds",
        headers=headers,
        json={
            "event_id": event_id,
            "buyer_email": f"fan{n}@example.org",
            "buyer_name": f"Fan {n}",
            "items": [{"type_id": kind["type_id"], "quantity": quantity}],
        },
    ) as hold:
        out.hold_ms.append((time.perf_counter() - began) * 1000)
        if hold.status == 409:
            out.refused += 1
            out.refused_holds += 1
            return
        if hold.status != 201:
            out.errors.append(f"hold {hold.status}: {(await hold.text())[:200]}")
            return
        token = (await hold.json())["hold_token"]
    began = time.perf_counter()
    async with http.post(f"/api/v1/shop/holds/{token}/checkout", headers=headers) as order:
        out.checkout_ms.append((time.perf_counter() - began) * 1000)
        body = await order.json()
        if order.status != 201 or body["status"] != "paid":
            out.errors.append(f"checkout {order.status}: {json.dumps(body)[:200]}")
            return
    out.sold += len(body["tickets"])
    out.orders += 1


async def set_up(url: str, capacity: int) -> tuple[int, int]:
    """An organizer, a venue, a published event and its one ticket type; their ids."""
    async with aiohttp.ClientSession(url) as org:
        email = f"org-{secrets.token_hex(4)}@example.org"
        async with org.post(
            "/api/v1/auth/signup",
            json={"email": email, "password": "correct horse", "name": "O", "organisation": "O"},
        ) as answer:
            assert answer.status == 201, await answer.text()
            auth = {"Authorization": f"Bearer {(await answer.json())['access_token']}"}
        async with org.post("/api/v1/venues", json={"name": "Arena"}, headers=auth) as answer:
            venue = await answer.json()
        now = datetime.now(UTC)
        async with org.post(
            "/api/v1/events",
            headers=auth,
            json={
                "name": "Popular",
                "venue_id": venue["venue_id"],
                "starts_at": (now + timedelta(days=30)).isoformat(),
                "ends_at": (now + timedelta(days=30, hours=4)).isoformat(),
                "published": True,
            },
        ) as answer:
            event = await answer.json()
        async with org.post(
            f"/api/v1/events/{event['event_id']}/ticket-types",
            headers=auth,
            json={
                "name": "Standing",
                "capacity": capacity,
                "price": 4500,
                "per_order_limit": PER_ORDER_LIMIT,
            },
        ) as answer:
            assert answer.status == 201, await answer.text()
            kind = await answer.json()
    return event["event_id"], kind["type_id"]


def _cpu_seconds(pids: list[int]) -> tuple[float, float]:
    """User and system CPU time of these processes so far (Linux /proc; 0 elsewhere)."""
    user = system = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user, system = user + int(fields[11]), system + int(fields[12])
    tick = os.sysconf("SC_CLK_TCK")
    return user / tick, system / tick


def _machine_cpu() -> tuple[float, float]:
    """Busy and idle CPU seconds of the whole machine so far (Linux /proc/stat; 0 elsewhere)."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + ticks[4]  # idle and iowait
    return (sum(ticks[:8]) - idle) / tick, idle / tick


def _tree(pid: int) -> list[int]:
    """``pid`` and its children (the API processes ``--workers`` starts)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(int(child) for child in children)]


@dataclass(frozen=True)
class Cpu:
    """CPU seconds so far: the API processes' (user, kernel), this client's, the machine's
    busy and idle."""

    server_user: float
    server_system: float
    client: float
    busy: float
    idle: float

    @classmethod
    def now(cls, servers: list[int]) -> Cpu:
        user, system = _cpu_seconds(servers)
        busy, idle = _machine_cpu()
        return cls(user, system, time.process_time(), busy, idle)


async def onsale(
    url: str, event_id: int, buyers: int, max_tickets: int, servers: list[int]
) -> tuple[Results, float, Cpu, Cpu]:
    """The sale, its seconds from the first request to the last answer, and the CPU read
    when it started and when it ended (the buyers' tasks are made before, uncounted)."""
    out = Results()
    start = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(url, connector=connector, timeout=timeout) as http:
        tasks = [
            asyncio.create_task(buyer(n, http, event_id, max_tickets, start, out))
            for n in range(buyers)
        ]
        await asyncio.sleep(0.2)
        before = Cpu.now(servers)
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
        after = Cpu.now(servers)
    return out, elapsed, before, after


class LockWaits:
    """Samples, every 10 ms until stopped, how many sessions on the database wait for a lock."""

    def __init__(self, dbname: str) -> None:
        self._dbname = dbname
        self._stop = threading.Event()
        self.samples: list[int] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockWaits:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with psycopg.connect(f"{PG} dbname=postgres", autocommit=True) as conn:
            while not self._stop.wait(0.01):
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = %s AND wait_event_type = 'Lock'",
                    (self._dbname,),
                ).fetchone()
                self.samples.append(row[0] if row else 0)

    @property
    def mean(self) -> float:
        return sum(self.samples) / len(self.samples) if self.samples else 0.0


def oversold(dbname: str, type_id: int) -> tuple[int, int]:
    """Tickets beyond capacity and live tickets, straight from the database."""
    with psycopg.connect(f"{PG} dbname={dbname}") as conn:
        row = conn.execute(
            "SELECT tt.capacity, count(t.id) FROM ticket_types tt "
            "LEFT JOIN tickets t ON t.type_id = tt.id AND NOT t.revoked "
            "WHERE tt.id = %s GROUP BY tt.id, tt.capacity",
            (type_id,),
        ).fetchone()
    assert row is not None
    capacity, live = row
    return max(0, live - capacity), live


async def baseline(dbname: str, transactions: int, connections: int) -> float:
    """Single-row conditional UPDATE transactions per second, all on one stock row."""
    from psycopg import AsyncConnection

    conns = [await AsyncConnection.connect(f"{PG} dbname={dbname}") for _ in range(connections)]
    await conns[0].execute(
        "CREATE TABLE bench_stock (id int PRIMARY KEY, sold int NOT NULL, capacity int NOT NULL)"
    )
    await conns[0].execute("INSERT INTO bench_stock VALUES (1, 0, %s)", (transactions,))
    await conns[0].commit()
    left = [transactions]

    async def worker(conn: AsyncConnection[Any]) -> None:
        while left[0] > 0:
            left[0] -= 1
            async with conn.transaction():
                await conn.execute(
                    "UPDATE bench_stock SET sold = sold + 1 WHERE id = 1 AND sold < capacity"
                )

    began = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - began
    for conn in conns:
        await conn.close()
    return transactions / elapsed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _redis_up() -> bool:
    try:
        socket.create_connection(REDIS, timeout=0.5).close()
    except OSError:
        return False
    return True


def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the cloud server exited during start-up")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the cloud server did not answer /health within 60 s")


def _drop_redis_prefix(prefix: str) -> None:
    from redis import Redis

    client = Redis(*REDIS)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
        if keys:
            client.unlink(*keys)
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 buyers for 50 tickets")
    parser.add_argument("--buyers", type=int, help="concurrent buyers (default 1000)")
    parser.add_argument("--capacity", type=int, help="tickets on sale (default 500)")
    parser.add_argument(
        "--max-tickets",
        type=int,
        default=1,
        choices=range(1, PER_ORDER_LIMIT + 1),
        metavar="K",
        help="each buyer asks for 1 to K tickets (default 1)",
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="API processes (default: cores)"
    )
    args = parser.parse_args()
    buyers = args.buyers or (100 if args.quick else 1000)
    capacity = args.capacity or (50 if args.quick else 500)

    from cloud.db import DEFAULT_POOL, make_engine, server_connections
    from cloud.migrate import upgrade

    dbname = f"bilten_onsale_{uuid.uuid4().hex[:10]}"
    redis_prefix = f"bilten-onsale-{uuid.uuid4().hex[:10]}"
    redis = _redis_up()
    with psycopg.connect(f"{PG} dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    server = None
    try:
        database_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}"
        engine = make_engine(database_url)
        upgrade(engine)
        most, reserved = server_connections(engine)
        engine.dispose()
        # As many connections as each API process may open (BILTEN_DATABASE_POOL).
        pool = int(os.environ.get("BILTEN_DATABASE_POOL") or DEFAULT_POOL)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "BILTEN_DATABASE_URL": database_url,
            "BILTEN_MASTER_KEY": b64encode(secrets.token_bytes(32)).decode(),
            "BILTEN_JWT_SECRET": secrets.token_urlsafe(48),
            "BILTEN_TRUSTED_PROXIES": "127.0.0.1/32",
            "BILTEN_PAYMENT_PROVIDER": "local",
        }
        if redis:
            env |= {
                "BILTEN_REDIS_URL": "redis://127.0.0.1:6379/0",
                "BILTEN_REDIS_PREFIX": redis_prefix,
            }
        with tempfile.TemporaryDirectory() as data_dir:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "shared.cli",
                    "cloud",
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    str(args.workers),
                    "--data",
                    data_dir,
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
            )
            _wait_healthy(url, server)
            event_id, type_id = asyncio.run(set_up(url, capacity))
            servers = _tree(server.pid)
            with LockWaits(dbname) as lock_waits:
                out, elapsed, before, after = asyncio.run(
                    onsale(url, event_id, buyers, args.max_tickets, servers)
                )
            server_user = after.server_user - before.server_user
            server_system = after.server_system - before.server_system
            client_cpu = after.client - before.client
            rest_cpu = after.busy - before.busy - (server_user + server_system) - client_cpu
            idle_cpu = after.idle - before.idle
            server.terminate()
            server.wait(timeout=60)
            server = None
        over, live = oversold(dbname, type_id)
        # No more connections than the server accepts, less a few for everyone else.
        connections = min(pool * args.workers, most - reserved - 5)
        plain = asyncio.run(baseline(dbname, max(out.orders, 1), connections))
    finally:
        if server is not None:
            server.kill()
        with psycopg.connect(f"{PG} dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        if redis:
            _drop_redis_prefix(redis_prefix)

    figures = {
        "buyers": buyers,
        "capacity": capacity,
        "sold": out.sold,
        "live_tickets_in_db": live,
        "oversold": over,
        "orders": out.orders,
        "refused_sold_out": out.refused,
        "refused_holds": out.refused_holds,
        "errors": len(out.errors),
        "max_tickets": args.max_tickets,
        "workers": args.workers,
        "redis": redis,
        "seconds": round(elapsed, 3),
        "orders_per_s": round(out.orders / elapsed, 1),
        "tickets_per_s": round(out.sold / elapsed, 1),
        "storefront_p50_ms": round(_percentile(out.front_ms, 0.50), 1),
        "hold_p50_ms": round(_percentile(out.hold_ms, 0.50), 1),
        "hold_p99_ms": round(_percentile(out.hold_ms, 0.99), 1),
        "checkout_p50_ms": round(_percentile(out.checkout_ms, 0.50), 1),
        "checkout_p99_ms": round(_percentile(out.checkout_ms, 0.99), 1),
        "server_cpu_s": round(server_user + server_system, 2),
        "server_system_cpu_s": round(server_system, 2),
        "client_cpu_s": round(client_cpu, 2),
        "database_and_rest_cpu_s": round(max(rest_cpu, 0.0), 2),
        "idle_cpu_s": round(idle_cpu, 2),
        "lock_waiters_mean": round(lock_waits.mean, 2),
        "lock_waiters_max": max(lock_waits.samples, default=0),
        "baseline_update_tx_per_s": round(plain, 1),
    }
    orders = max(out.orders, 1)
    busy = server_user + server_system + client_cpu + max(rest_cpu, 0.0)
    figures |= {
        # Everything one order cost the machine, storefront reads and refused buyers included.
        "api_cpu_ms_per_order": round((server_user + server_system) / orders * 1000, 2),
        "rest_cpu_ms_per_order": round(max(rest_cpu, 0.0) / orders * 1000, 2),
        "client_cpu_ms_per_order": round(client_cpu / orders * 1000, 2),
        # Cores of this machine's speed that TARGET_ORDERS_PER_S would keep busy.
        "cores_for_target": round(busy / orders * TARGET_ORDERS_PER_S, 2),
    }
    for message in out.errors[:5]:
        print("error:", message)
    print(
        f"{buyers} buyers, capacity {capacity}, {args.workers} API processes"
        f"{' + Redis' if redis else ''}: sold {out.sold} in {out.orders} orders over "
        f"{elapsed:.2f} s; {out.refused} buyers found it sold out ({out.refused_holds} of them "
        "only when they asked to hold)"
    )
    print(
        f"orders per second: {figures['orders_per_s']} "
        f"(tickets per minute: {out.sold / elapsed * 60:,.0f})"
    )
    print(f"storefront p50 {figures['storefront_p50_ms']} ms")
    print(f"hold     p50 {figures['hold_p50_ms']} ms  p99 {figures['hold_p99_ms']} ms")
    print(f"checkout p50 {figures['checkout_p50_ms']} ms  p99 {figures['checkout_p99_ms']} ms")
    print(
        f"CPU during the sale: API processes {server_user + server_system:.2f} s (of it in the "
        f"kernel {server_system:.2f} s), this client {client_cpu:.2f} s, PostgreSQL, Redis and "
        f"the rest {max(rest_cpu, 0.0):.2f} s, idle {idle_cpu:.2f} s ({os.cpu_count()} cores)"
    )
    print(
        f"CPU per order: API processes {figures['api_cpu_ms_per_order']} ms, PostgreSQL, Redis "
        f"and the rest {figures['rest_cpu_ms_per_order']} ms, this client "
        f"{figures['client_cpu_ms_per_order']} ms: {TARGET_ORDERS_PER_S} orders per second "
        f"would keep {figures['cores_for_target']} cores of this speed busy"
    )
    print(
        f"transactions waiting for a row lock: {figures['lock_waiters_mean']} on average, "
        f"{figures['lock_waiters_max']} at most"
    )
    print(f"oversold: {over} (live tickets in the database: {live})")
    print(f"baseline, single-row UPDATE transactions on one row: {plain:,.0f}/s")
    if over:
        print("OVERSOLD: capacity was exceeded")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
