"""Apply and inspect schema migrations (Alembic), with progress for the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from stores.db import ensure_sqlite_directory, sync_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", sync_url(database_url).render_as_string(hide_password=False)
    )
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(database_url: str) -> str | None:
    """The revision the database is at (None for an empty database). Blocking."""
    engine = create_engine(sync_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def pending_revisions(database_url: str) -> list[str]:
    """Revisions not yet applied, oldest first."""
    script = ScriptDirectory.from_config(alembic_config(database_url))
    current = current_revision(database_url)
    pending = [
        revision.revision
        for revision in script.iterate_revisions(script.get_current_head(), current)
    ]
    return list(reversed(pending))


def upgrade(database_url: str, *, on_step: Callable[[str], None] | None = None) -> list[str]:
    """Bring the database to head one revision at a time; returns the revisions applied."""
    ensure_sqlite_directory(database_url)
    config = alembic_config(database_url)
    applied = []
    for revision in pending_revisions(database_url):
        if on_step is not None:
            on_step(revision)
        command.upgrade(config, revision)
        applied.append(revision)
    return applied
