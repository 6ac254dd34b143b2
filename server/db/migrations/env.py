from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import server.db.models  # noqa: F401  (fills the metadata)
from server.db.engine import engine_for

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic has no sqlalchemy.url: run migrations through "
                           "`mailscope db upgrade`, which sets it from the settings")
    engine = engine_for(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
