"""Alembic environment; run through cloud.migrate, which passes the connection in."""

from __future__ import annotations

from alembic import context

from cloud.db import Base, load_models

load_models()
connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
