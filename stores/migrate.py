"""Apply and inspect schema migrations (Alembic), with progress for the CLI."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from stores.db import ensure_sqlite_directory, is_sqlite, sqlite_path, sync_url

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


class SchemaNotCurrent(RuntimeError):
    """A server database (Postgres) needs `sms-assistant migrate` before anything can use it."""


_ensure_lock = threading.Lock()


def ensure_schema(database_url: str, *, on_step: Callable[[str], None] | None = None) -> list[str]:
    """Make the database usable, blocking: the embedded SQLite file is created and migrated on
    first use by any entry point (CLI, server, worker, Studio); a server database is never
    changed behind the operator's back, so pending migrations there raise SchemaNotCurrent.

    Two processes starting at once (serve and worker, or two Studio runs) take turns through a
    lock file beside the SQLite file; the second finds nothing pending. Returns what was applied.
    """
    if not is_sqlite(database_url):
        pending = pending_revisions(database_url)
        if pending:
            raise SchemaNotCurrent(
                f"the database schema is not current ({len(pending)} migration(s) pending): "
                "run `sms-assistant migrate` (Postgres is never migrated implicitly)"
            )
        return []
    path = sqlite_path(database_url)
    if path is None:  # in-memory: nothing shared to guard
        return upgrade(database_url, on_step=on_step)
    ensure_sqlite_directory(database_url)
    with _ensure_lock, open(path.parent / f".{path.name}.migrate.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return upgrade(database_url, on_step=on_step)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
