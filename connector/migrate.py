"""``stockbridge db upgrade``: apply Alembic migrations to the configured database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from connector.db import get_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision``; safe to run on every start."""
    config = alembic_config(database_url)
    config.attributes["engine"] = get_engine(database_url)
    command.upgrade(config, revision)


def empty_database(database_url: str) -> None:
    """Delete every row of every table (the schema stays): a discarded demo, a test's clean slate."""
    from sqlalchemy import text

    from connector.models import Base

    engine = get_engine(database_url)
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


def autogenerate(database_url: str, message: str) -> None:
    """Developer helper: write a new revision from the models' diff."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
