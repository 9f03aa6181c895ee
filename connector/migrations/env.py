"""Alembic environment: the URL comes from the Config attribute set by ``connector.migrate``."""

from alembic import context

from connector.db import make_engine
from connector.models import Base

config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
