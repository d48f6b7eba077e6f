from __future__ import annotations

import sqlite3

import pytest

from shared.sqlite import SchemaTooNew, migrate, open_durable, split_script, write_transaction

V1 = ["CREATE TABLE notes (body TEXT NOT NULL)"]
V2 = ["ALTER TABLE notes ADD COLUMN author TEXT"]


def test_commits_are_durable_and_in_wal_mode(tmp_path):
    conn = open_durable(tmp_path / "a" / "db.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_a_failed_transaction_leaves_nothing(tmp_path):
    path = tmp_path / "db.sqlite3"
    conn = open_durable(path)
    migrate(conn, path, [V1])
    with pytest.raises(RuntimeError), write_transaction(conn):
        conn.execute("INSERT INTO notes VALUES ('half')")
        raise RuntimeError("power cut")
    assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 0


def test_migrations_run_once_each_in_order(tmp_path):
    path = tmp_path / "db.sqlite3"
    conn = open_durable(path)
    assert migrate(conn, path, [V1]) == 1
    conn.execute("INSERT INTO notes VALUES ('kept')")
    assert migrate(conn, path, [V1, V2]) == 2
    assert migrate(conn, path, [V1, V2]) == 2
    assert conn.execute("SELECT body, author FROM notes").fetchall() == [("kept", None)]


def test_a_file_from_a_newer_release_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "db.sqlite3"
    conn = open_durable(path)
    migrate(conn, path, [V1, V2])
    with pytest.raises(SchemaTooNew, match="newer"):
        migrate(conn, path, [V1])
    assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == 2


def test_trigger_bodies_stay_whole():
    script = """
    CREATE TABLE t (x INTEGER);
    CREATE TRIGGER t_no_delete BEFORE DELETE ON t
    BEGIN SELECT RAISE(ABORT, 'no'); END;
    """
    statements = split_script(script)
    assert len(statements) == 2
    conn = sqlite3.connect(":memory:")
    for statement in statements:
        conn.execute(statement)
