"""A popular on-sale: many buyers at once hold and check out tickets of one event.

A real cloud (the same app ``bilten cloud serve`` runs, under uvicorn in its own process) on a
temporary PostgreSQL database at 127.0.0.1:5432 (user postgres, dropped afterwards). An
organizer sets up one event with three ticket types through the JSON API; then N buyers
(asyncio + httpx, each its own connection) all start at once: read the storefront, hold 1-4
tickets of a type that has some left (another type if that one sold out meanwhile) and check
out with the local payment provider. Demand is well above capacity, so the event sells out.

Printed: tickets sold per minute, hold and checkout latency (p50/p99), and the oversold count
read straight from the database (tickets per type beyond its capacity; must be 0). Two
baselines from the same run on the same server, straight through psycopg with as many
connections as the cloud's pool: the same number of bare single-row INSERT transactions
(the floor of any design), and the same with ``SELECT ... FOR UPDATE`` on one event row first
(a sale serialised by one event-wide lock, the design that caps pretix at 300-400 tickets per
minute per event).

Run from the repository root::

    .venv/bin/python benchmarks/onsale.py --quick   # 50 buyers, under a minute
    .venv/bin/python benchmarks/onsale.py           # 200 buyers

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402

PG = "host=127.0.0.1 port=5432 user=postgres"
TYPES = ("Standing", "Seated", "VIP")
POOL = 30  # the cloud engine's pool (10 + 20 overflow): the baselines get as many connections


def serve(port: int, database_url: str, data_dir: str) -> None:
    """The cloud server process, with checkout rate limits opened for the load."""
    import uvicorn

    from cloud.app import create_app
    from cloud.ratelimit import Rule
    from cloud.settings import CloudSettings

    wide = Rule(1_000_000, 1, "benchmark")
    settings = CloudSettings(
        database_url=database_url,
        master_key=secrets.token_bytes(32),
        jwt_secret=secrets.token_urlsafe(48),
        data_dir=Path(data_dir),
        rate_limits={"checkout.ip": wide, "checkout.account": wide},
    )
    app = create_app(settings)
    # ONSALE_DEBUG=1 puts the traceback of a failed request into its answer.
    app.debug = bool(os.environ.get("ONSALE_DEBUG"))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


@dataclass
class Results:
    sold: int = 0
    orders: int = 0
    refused: int = 0
    errors: list[str] = field(default_factory=list)
    hold_ms: list[float] = field(default_factory=list)
    checkout_ms: list[float] = field(default_factory=list)


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def buyer(
    n: int, http: httpx.AsyncClient, event_id: int, start: asyncio.Event, out: Results
) -> None:
    rng = random.Random(n)
    await start.wait()
    answer = await http.get(f"/api/v1/shop/events/{event_id}")
    if answer.status_code != 200:
        out.errors.append(f"storefront {answer.status_code}: {answer.text[:200]}")
        return
    front = answer.json()
    left = [t for t in front["ticket_types"] if t["available"] > 0]
    rng.shuffle(left)
    quantity = rng.randint(1, 4)
    for kind in left[:2]:
        began = time.perf_counter()
        hold = await http.post(
            "/api/v1/shop/holds",
            json={
                "event_id": event_id,
                "buyer_email": f"fan{n}@example.org",
                "buyer_name": f"Fan {n}",
                "items": [{"type_id": kind["type_id"], "quantity": quantity}],
            },
        )
        out.hold_ms.append((time.perf_counter() - began) * 1000)
        if hold.status_code == 409:
            out.refused += 1
            continue
        if hold.status_code != 201:
            out.errors.append(f"hold {hold.status_code}: {hold.text[:200]}")
            return
        began = time.perf_counter()
        order = await http.post(f"/api/v1/shop/holds/{hold.json()['hold_token']}/checkout")
        out.checkout_ms.append((time.perf_counter() - began) * 1000)
        if order.status_code != 201 or order.json()["status"] != "paid":
            out.errors.append(f"checkout {order.status_code}: {order.text[:200]}")
            return
        out.sold += len(order.json()["tickets"])
        out.orders += 1
        return


async def onsale(url: str, buyers: int, capacity: int) -> tuple[Results, float, int, list[int]]:
    async with httpx.AsyncClient(base_url=url, timeout=120) as org:
        email = f"org-{secrets.token_hex(4)}@example.org"
        r = await org.post(
            "/api/v1/auth/signup",
            json={"email": email, "password": "correct horse", "name": "O", "organisation": "O"},
        )
        org.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        venue = (await org.post("/api/v1/venues", json={"name": "Arena"})).json()
        now = datetime.now(UTC)
        event = (
            await org.post(
                "/api/v1/events",
                json={
                    "name": "Popular",
                    "venue_id": venue["venue_id"],
                    "starts_at": (now + timedelta(days=30)).isoformat(),
                    "ends_at": (now + timedelta(days=30, hours=4)).isoformat(),
                    "published": True,
                },
            )
        ).json()
        type_ids = []
        for name in TYPES:
            kind = await org.post(
                f"/api/v1/events/{event['event_id']}/ticket-types",
                json={"name": name, "capacity": capacity // len(TYPES), "price": 4500},
            )
            assert kind.status_code == 201, kind.text
            type_ids.append(kind.json()["type_id"])
    out = Results()
    start = asyncio.Event()
    limits = httpx.Limits(max_connections=buyers, max_keepalive_connections=buyers)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        tasks = [
            asyncio.create_task(buyer(n, http, event["event_id"], start, out))
            for n in range(buyers)
        ]
        await asyncio.sleep(0.2)
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
    return out, elapsed, event["event_id"], type_ids


def oversold(dbname: str, type_ids: list[int]) -> tuple[int, int]:
    """Tickets beyond capacity (summed over types) and live tickets, straight from the DB."""
    with psycopg.connect(f"{PG} dbname={dbname}") as conn:
        rows = conn.execute(
            "SELECT tt.capacity, count(t.id) FROM ticket_types tt "
            "LEFT JOIN tickets t ON t.type_id = tt.id AND NOT t.revoked "
            "WHERE tt.id = ANY(%s) GROUP BY tt.id, tt.capacity",
            (type_ids,),
        ).fetchall()
    return sum(max(0, sold - cap) for cap, sold in rows), sum(sold for _, sold in rows)


async def baseline(dbname: str, transactions: int, *, event_lock: bool) -> float:
    """Single-row INSERT transactions per second over POOL connections; with ``event_lock``
    each first locks the one event row, as a sale serialised per event would."""
    from psycopg import AsyncConnection

    conns = [await AsyncConnection.connect(f"{PG} dbname={dbname}") for _ in range(POOL)]
    await conns[0].execute(
        "CREATE TABLE IF NOT EXISTS bench_rows (id bigserial PRIMARY KEY, event_id int, ref text)"
    )
    await conns[0].execute(
        "CREATE TABLE IF NOT EXISTS bench_events (id int PRIMARY KEY, n int NOT NULL)"
    )
    await conns[0].execute("INSERT INTO bench_events VALUES (1, 0) ON CONFLICT DO NOTHING")
    await conns[0].commit()
    queue = list(range(transactions))

    async def worker(conn: AsyncConnection[Any]) -> None:
        while queue:
            queue.pop()
            async with conn.transaction():
                if event_lock:
                    await conn.execute("SELECT n FROM bench_events WHERE id = 1 FOR UPDATE")
                await conn.execute(
                    "INSERT INTO bench_rows (event_id, ref) VALUES (1, %s)", (uuid.uuid4().hex,)
                )

    began = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - began
    for conn in conns:
        await conn.close()
    return transactions / elapsed


def _wait_healthy(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the cloud server exited during start-up")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the cloud server did not answer /health within 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="50 buyers, under a minute")
    parser.add_argument("--buyers", type=int, help="concurrent buyers (default 1000)")
    parser.add_argument(
        "--capacity", type=int, help="tickets on sale (default 500; 75 with --quick)"
    )
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "URL", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.serve[2])
        return
    buyers = args.buyers or (50 if args.quick else 1000)
    # Demand (2.5 tickets a buyer on average) well above capacity: the event sells out.
    wanted = args.capacity or (75 if args.quick else 500)
    capacity = max(wanted // len(TYPES), 1) * len(TYPES)

    from cloud.db import make_engine
    from cloud.migrate import upgrade
    from tests.support import free_port

    dbname = f"bilten_onsale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG} dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    server = None
    try:
        database_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbname}"
        engine = make_engine(database_url)
        upgrade(engine)
        engine.dispose()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as data_dir:
            server = subprocess.Popen(
                [sys.executable, __file__, "--serve", str(port), database_url, data_dir],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            _wait_healthy(url, server)
            out, elapsed, _event_id, type_ids = asyncio.run(onsale(url, buyers, capacity))
            server.terminate()
            server.wait(timeout=30)
            server = None
        over, live = oversold(dbname, type_ids)
        plain = asyncio.run(baseline(dbname, out.orders or 1, event_lock=False))
        locked = asyncio.run(baseline(dbname, out.orders or 1, event_lock=True))
    finally:
        if server is not None:
            server.kill()
        with psycopg.connect(f"{PG} dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

    tickets_per_min = out.sold / elapsed * 60
    figures = {
        "buyers": buyers,
        "capacity": capacity,
        "sold": out.sold,
        "live_tickets_in_db": live,
        "oversold": over,
        "orders": out.orders,
        "refused_sold_out": out.refused,
        "errors": len(out.errors),
        "seconds": round(elapsed, 3),
        "tickets_per_min": round(tickets_per_min),
        "orders_per_s": round(out.orders / elapsed, 1),
        "hold_p50_ms": round(_percentile(out.hold_ms, 0.50), 1),
        "hold_p99_ms": round(_percentile(out.hold_ms, 0.99), 1),
        "checkout_p50_ms": round(_percentile(out.checkout_ms, 0.50), 1),
        "checkout_p99_ms": round(_percentile(out.checkout_ms, 0.99), 1),
        "baseline_insert_tx_per_s": round(plain, 1),
        "baseline_event_lock_tx_per_s": round(locked, 1),
        "pretix_ceiling_tickets_per_min": 400,
    }
    for message in out.errors[:5]:
        print("error:", message)
    print(
        f"{buyers} buyers, capacity {capacity}: sold {out.sold} in {out.orders} orders "
        f"over {elapsed:.2f} s, {out.refused} holds refused as sold out"
    )
    print(f"tickets per minute: {tickets_per_min:,.0f} (pretix's documented ceiling: 300-400)")
    print(f"hold     p50 {figures['hold_p50_ms']} ms  p99 {figures['hold_p99_ms']} ms")
    print(f"checkout p50 {figures['checkout_p50_ms']} ms  p99 {figures['checkout_p99_ms']} ms")
    print(f"oversold: {over} (live tickets in the database: {live})")
    print(
        f"baseline, bare INSERT transactions: {plain:,.0f}/s; "
        f"behind one event row lock: {locked:,.0f}/s"
    )
    if over:
        print("OVERSOLD: capacity was exceeded")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
