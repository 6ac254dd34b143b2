"""Alembic migrations, run programmatically (``mailscope db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from server.settings import get_settings

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url or get_settings().database_url)
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the database at ``url`` (default: the configured one) up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def revision(message: str, url: str | None = None) -> None:
    """Autogenerate a migration from the difference between models and database."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
