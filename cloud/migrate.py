"""Schema migrations with Alembic, configured in code (no alembic.ini to find at run time)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from cloud.errors import ConfigurationError

SCRIPT_LOCATION = "cloud:migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    return config


def upgrade(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def pending(engine: Engine) -> bool:
    """True when the database is not at the newest revision."""
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current != heads


def prepare(engine: Engine, *, embedded: bool) -> None:
    """Ready the schema before serving: the embedded SQLite database migrates itself, a
    shared server database must be migrated on purpose (``bilten cloud migrate``)."""
    if embedded:
        upgrade(engine)
    elif pending(engine):
        raise ConfigurationError(
            "the database schema is not up to date; run `bilten cloud migrate` first"
        )
