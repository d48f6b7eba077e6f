"""``bilten cloud ...``: serve the API, apply migrations, run the background worker.

Heavy imports happen inside the handlers so ``bilten --help`` stays fast."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloud.settings import CloudSettings


def _settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from cloud.settings import CloudSettings, default_data_dir

    data_dir = Path(args.data) if args.data else default_data_dir()
    return CloudSettings.from_env(data_dir)


def _serve(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from cloud.asgi import DATA_DIR_VARIABLE
    from cloud.db import connection_budget, make_engine
    from cloud.migrate import prepare

    if args.workers < 1:
        raise SystemExit("bilten cloud serve: --workers must be at least 1")
    settings = _settings(args)
    engine = make_engine(settings.database_url)
    try:
        prepare(engine, embedded=settings.is_embedded_database)
        too_many = connection_budget(engine, args.workers, settings.database_pool)
    finally:
        engine.dispose()
    if too_many is not None:
        print(f"bilten cloud: {too_many}", file=sys.stderr, flush=True)
    # Every process builds its app from the environment, with the secrets _settings has just
    # made sure exist in the data folder. Links in emails point at the address this server
    # answers on, unless BILTEN_PUBLIC_URL says otherwise.
    os.environ[DATA_DIR_VARIABLE] = str(settings.data_dir)
    os.environ.setdefault("BILTEN_PUBLIC_URL", f"http://{args.host}:{args.port}")
    print(f"bilten cloud: http://{args.host}:{args.port} (data in {settings.data_dir})", flush=True)
    if args.workers > 1 and settings.redis_url is None:
        print(
            f"bilten cloud: {args.workers} processes without BILTEN_REDIS_URL: each keeps its "
            "own rate limits and page cache",
            file=sys.stderr,
            flush=True,
        )
    # proxy_headers off: only BILTEN_TRUSTED_PROXIES decides whose X-Forwarded-For is believed
    # (uvicorn would otherwise believe any request from 127.0.0.1).
    uvicorn.run(
        "cloud.asgi:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,
        **_serve_operations(settings, args.workers),
    )
    return 0


# After SIGTERM the server stops taking connections and gives the requests under way this
# long to finish; the container's stop grace period (compose: stop_grace_period) is longer.
GRACEFUL_SHUTDOWN_S = 25


def _serve_operations(settings: CloudSettings, workers: int) -> dict[str, Any]:
    """How ``serve`` logs, counts and stops: logging set up here and in each worker process
    (cloud.asgi; JSON lines with request ids, no secrets; the app writes the access lines),
    several workers' metrics added up, and a bounded graceful shutdown."""
    from cloud.ops.logs import configure_cloud_logging
    from cloud.ops.metrics import share_metrics_between_workers

    configure_cloud_logging(settings)
    if workers > 1:
        share_metrics_between_workers()
    return {
        "log_config": None,
        "log_level": settings.log_level,
        "access_log": False,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
    }


def _migrate(args: argparse.Namespace) -> int:
    from cloud.db import make_engine
    from cloud.migrate import upgrade

    settings = _settings(args)
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    print("bilten cloud: database is up to date", file=sys.stderr)
    return 0


def _worker(args: argparse.Namespace) -> int:
    from cloud.ops.logs import configure_cloud_logging
    from cloud.worker import run_worker

    settings = _settings(args)
    configure_cloud_logging(settings)
    run_worker(settings, once=args.once)
    return 0


def _outbox(args: argparse.Namespace) -> int:
    from cloud.db import make_engine, make_session_factory
    from cloud.migrate import prepare
    from cloud.notifications.outbox import table, waiting

    settings = _settings(args)
    engine = make_engine(settings.database_url)
    try:
        prepare(engine, embedded=settings.is_embedded_database)
        with make_session_factory(engine)() as session:
            rows = waiting(session, dead=args.dead)
    finally:
        engine.dispose()
    if not rows:
        print("no dead messages" if args.dead else "no messages waiting", file=sys.stderr)
        return 0
    print(table(rows))
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from cloud.audit.chain import verify
    from cloud.db import make_engine, make_session_factory
    from cloud.migrate import prepare

    settings = _settings(args)
    engine = make_engine(settings.database_url)
    try:
        prepare(engine, embedded=settings.is_embedded_database)
        with make_session_factory(engine)() as session:
            result = verify(session)
    finally:
        engine.dispose()
    if not result.ok:
        print(
            f"bilten cloud audit: the log is broken at entry {result.broken_at}: "
            f"{result.problem}; {result.entries} entries before it are intact",
            file=sys.stderr,
        )
        return 1
    print(f"{result.head_seq} {result.head_hash}")
    print(
        f"bilten cloud audit: {result.entries} entries, chain intact; head is entry "
        f"{result.head_seq} (keep the line above elsewhere to check this history later)",
        file=sys.stderr,
    )
    return 0


def _read_password(prompt: str) -> str:
    """From a terminal: asked twice, not echoed. Otherwise the first line of stdin, so scripts
    can pipe it in without it showing up in the process list."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Repeat it: ") != first:
        raise SystemExit("bilten cloud admin: the passwords differ")
    return first


def _admin_create(args: argparse.Namespace) -> int:
    from cloud.clock import now_s
    from cloud.db import make_engine, make_session_factory
    from cloud.errors import CloudError
    from cloud.migrate import prepare
    from cloud.users.admins import make_admin

    settings = _settings(args)
    engine = make_engine(settings.database_url)
    try:
        prepare(engine, embedded=settings.is_embedded_database)
        with make_session_factory(engine)() as session:
            try:
                user, created = make_admin(
                    session,
                    args.email,
                    name=args.name,
                    password=lambda: _read_password(f"Password for {args.email}: "),
                    now=now_s(),
                )
            except CloudError as exc:
                print(f"bilten cloud admin: {exc.detail}", file=sys.stderr)
                return 1
    finally:
        engine.dispose()
    what = "created platform admin" if created else "made platform admin"
    print(f"bilten cloud: {what} {user.email} (user {user.id})", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cloud = sub.add_parser("cloud", help="run the cloud API, apply migrations, run background jobs")
    commands = cloud.add_subparsers(dest="cloud_command", required=True, metavar="COMMAND")
    data_help = "data directory (default: $BILTEN_DATA/cloud or ./bilten-data/cloud)"

    serve = commands.add_parser("serve", help="run the cloud API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--data", help=data_help)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API processes sharing the port (default 1); with more than one, set "
        "BILTEN_REDIS_URL so they share rate limits and the page cache",
    )
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--data", help=data_help)
    migrate.set_defaults(handler=_migrate)

    worker = commands.add_parser(
        "worker", help="run background jobs (conflict detection, email delivery)"
    )
    worker.add_argument("--data", help=data_help)
    worker.add_argument("--once", action="store_true", help="run every job once, then exit")
    worker.set_defaults(handler=_worker)

    outbox = commands.add_parser(
        "outbox", help="list messages (email, text) waiting to be sent, or dead ones"
    )
    outbox.add_argument("--data", help=data_help)
    outbox.add_argument(
        "--dead", action="store_true", help="list messages given up on, with the last error"
    )
    outbox.set_defaults(handler=_outbox)

    audit = commands.add_parser("audit", help="check the audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    verify = audit_commands.add_parser(
        "verify",
        help="walk the audit log's hash chain; prints the head (seq and hash) and exits 0 "
        "when every entry is intact, names the first broken one and exits 1 otherwise",
    )
    verify.add_argument("--data", help=data_help)
    verify.set_defaults(handler=_audit_verify)

    admin = commands.add_parser("admin", help="manage platform admins")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True, metavar="COMMAND")
    create = admin_commands.add_parser(
        "create",
        help="make an account a platform admin, creating it when new "
        "(the password is read from stdin, or asked for on a terminal)",
    )
    create.add_argument("--email", required=True)
    create.add_argument("--name", default="Admin", help="the name of a new account")
    create.add_argument("--data", help=data_help)
    create.set_defaults(handler=_admin_create)
