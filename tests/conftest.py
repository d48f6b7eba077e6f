from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.support import need, port_open

PG_HOST = os.environ.get("BILTEN_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BILTEN_TEST_PG_PORT", "5432"))
_PG_ADMIN = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=postgres"


def _pg_url(name: str) -> str:
    return f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"


@contextmanager
def _pg_database(template: str | None = None) -> Iterator[str]:
    """A new database on the real server (a copy of ``template`` if given); dropped after."""
    need(port_open(PG_HOST, PG_PORT), f"PostgreSQL at {PG_HOST}:{PG_PORT}")
    import psycopg

    name = f"bilten_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(_PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield name
    finally:
        with psycopg.connect(_PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the real server; dropped afterwards."""
    with _pg_database() as name:
        yield _pg_url(name)


class CloudSchemas:
    """The cloud's migrations applied once per test run, into an SQLite file and a PostgreSQL
    database, which each test then copies: the same schema as running them, at a fraction
    of the cost. Made on first use, so a run without cloud tests never makes them."""

    def __init__(self, folder: Path, stack: ExitStack) -> None:
        self._folder = folder
        self._stack = stack
        self._sqlite: Path | None = None
        self._postgres: str | None = None

    def sqlite_copy(self, target: Path) -> str:
        if self._sqlite is None:
            self._sqlite = self._folder / "cloud-schema.db"
            _migrate(f"sqlite:///{self._sqlite}")
        shutil.copyfile(self._sqlite, target)
        return f"sqlite:///{target}"

    @contextmanager
    def postgres_copy(self) -> Iterator[str]:
        if self._postgres is None:
            name = self._stack.enter_context(_pg_database())
            _migrate(_pg_url(name))
            self._postgres = name
        with _pg_database(template=self._postgres) as copy:
            yield _pg_url(copy)


def _migrate(url: str) -> None:
    from cloud.db import make_engine
    from cloud.migrate import upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def cloud_schemas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudSchemas]:
    with ExitStack() as stack:
        yield CloudSchemas(tmp_path_factory.mktemp("cloud-schema"), stack)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.support import FIGURES

    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
