"""The ``bilten`` command. Tiers add their own sub-commands through the ``bilten.commands``
entry-point group, so this module never imports a tier and works with any subset installed."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path

from shared.errors import BiltenError, KeyFileError, TokenRejected
from shared.keys import Keyring
from shared.token import parse_token, verify_token

Handler = Callable[[argparse.Namespace], int]


def _verify(args: argparse.Namespace) -> int:
    try:
        keyring = Keyring.load(Path(args.keys))
    except KeyFileError as exc:
        print(f"bilten: {exc}", file=sys.stderr)
        return 2
    tokens: Sequence[str] = args.tokens or [line.strip() for line in sys.stdin if line.strip()]
    all_valid = True
    for token in tokens:
        result: dict[str, object] = {"token": token, "valid": False, "reason": None}
        try:
            claims = verify_token(token, keyring)
            result.update(valid=True, reason="ok")
        except TokenRejected as rejected:
            all_valid = False
            result["reason"] = rejected.reason.value
            try:
                claims = parse_token(token)[0]
            except TokenRejected:
                claims = None
        result["event_id"] = claims.event_id if claims else None
        result["ticket_id"] = claims.ticket_ref if claims else None
        print(json.dumps(result), flush=True)
    return 0 if all_valid else 1


def _add_ticket_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ticket = sub.add_parser("ticket", help="work with ticket tokens offline")
    ticket_sub = ticket.add_subparsers(dest="ticket_command", required=True)
    verify = ticket_sub.add_parser(
        "verify",
        help="verify tokens against a public key file; one JSON object per token",
        description="Exit status: 0 if every token is valid, 1 if any is not, 2 on a bad key file.",
    )
    verify.add_argument("--keys", required=True, help="public key file (keys.json)")
    verify.add_argument("tokens", nargs="*", metavar="TOKEN", help="tokens (default: stdin)")
    verify.set_defaults(handler=_verify)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bilten", description="Bilten offline-first ticketing")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_ticket_commands(sub)
    for entry in sorted(entry_points(group="bilten.commands"), key=lambda e: e.name):
        try:
            register = entry.load()
        except ModuleNotFoundError:
            continue  # that tier is not installed here (e.g. no scanner on a venue mini-PC)
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except BiltenError as exc:
        print(f"bilten: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
