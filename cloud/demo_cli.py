"""`bilten demo` sub-command; imports the demo only when it runs."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def _run(args: argparse.Namespace) -> int:
    from cloud.demo import DemoError, DemoPorts, run_demo

    try:
        return run_demo(
            Path(args.data),
            DemoPorts(cloud=args.cloud_port, venue=args.venue_port),
            host=args.host,
            seed_only=args.seed_only,
            scanner=not args.no_scanner,
        )
    except DemoError as exc:
        print(f"bilten demo: {exc}")
        return 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    default_data = Path(os.environ.get("BILTEN_DATA", "bilten-data")) / "demo"
    demo = sub.add_parser(
        "demo",
        help="run cloud, venue server and scanner on embedded defaults with demo data",
        description=(
            "Starts the cloud (SQLite), a paired venue server and the scanner window, seeds a "
            "demo organizer with three events and printable tickets, and prints URLs and logins."
        ),
    )
    demo.add_argument("--data", default=str(default_data), help=f"default: {default_data}")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--cloud-port", type=int, default=8000)
    demo.add_argument("--venue-port", type=int, default=8100)
    demo.add_argument(
        "--seed-only",
        action="store_true",
        help="seed, write tokens.txt, keys.json and tickets/*.png into --data, then exit",
    )
    demo.add_argument("--no-scanner", action="store_true", help="run the servers only")
    demo.set_defaults(handler=_run)
