"""How many connections a cloud process opens to PostgreSQL, and the warning when the API
processes together could ask for more than the server accepts."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from cloud.db import connection_budget, make_engine
from cloud.migrate import upgrade
from tests.support import free_port

pytestmark = pytest.mark.postgres

BILTEN = str(Path(sys.executable).with_name("bilten"))


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url, pool=3)
    yield engine
    engine.dispose()


def _open_connections(url: str) -> int:
    """Connections to this database that PostgreSQL has open, not counting the asking one."""
    watcher = make_engine(url, pool=2)
    try:
        with watcher.connect() as connection:
            return int(
                connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            )
    finally:
        watcher.dispose()


def test_a_process_opens_no_more_connections_than_its_pool(
    engine: Engine, postgres_url: str
) -> None:
    with ExitStack() as held:
        for _ in range(3):
            held.enter_context(engine.connect()).execute(text("SELECT 1"))
        fourth_done = threading.Event()

        def fourth() -> None:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            fourth_done.set()

        waiting = threading.Thread(target=fourth, daemon=True)
        waiting.start()
        # The fourth request waits for a connection to come back instead of opening one.
        assert not fourth_done.wait(0.5)
        assert _open_connections(postgres_url) == 3
    assert fourth_done.wait(10)
    waiting.join()


def test_too_many_connections_for_the_server_are_named_before_a_sale_finds_them(
    engine: Engine,
) -> None:
    with engine.connect() as connection:
        most = int(connection.exec_driver_sql("SHOW max_connections").scalar_one())
        kept = int(connection.exec_driver_sql("SHOW superuser_reserved_connections").scalar_one())
    accepted = most - kept

    assert connection_budget(engine, processes=1, pool=accepted) is None
    warning = connection_budget(engine, processes=2, pool=accepted // 2 + 1)
    assert warning is not None
    assert f"the server accepts {accepted}" in warning
    assert "BILTEN_DATABASE_POOL" in warning


def test_serve_warns_when_its_processes_could_exhaust_the_server(
    postgres_url: str, tmp_path: Path
) -> None:
    upgrade_engine = make_engine(postgres_url)
    upgrade(upgrade_engine)
    upgrade_engine.dispose()
    env = {**os.environ, "BILTEN_DATABASE_URL": postgres_url, "BILTEN_DATABASE_POOL": "1000"}
    server = subprocess.Popen(
        [BILTEN, "cloud", "serve", "--port", str(free_port()), "--data", str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    warned = threading.Event()

    def read() -> None:
        assert server.stderr is not None
        for line in server.stderr:
            lines.append(line)
            if "too many clients" in line:
                warned.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert warned.wait(60), lines
        assert any("1 API process may open 1000 connections" in line for line in lines), lines
    finally:
        server.terminate()
        server.wait(timeout=30)
