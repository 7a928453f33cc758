"""Engines and sessions: one `Database` per process, async for the service, sync for migrations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def async_url(database_url: str) -> URL:
    """The URL with an async driver: aiosqlite for SQLite, psycopg (3) for Postgres."""
    url = make_url(_normalise_scheme(database_url))
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    return url.set(drivername="postgresql+psycopg")


def sync_url(database_url: str) -> URL:
    """The URL with a blocking driver, for Alembic and the CLI's one-shot commands."""
    url = make_url(_normalise_scheme(database_url))
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite")
    return url.set(drivername="postgresql+psycopg")


def is_sqlite(database_url: str) -> bool:
    return make_url(_normalise_scheme(database_url)).get_backend_name() == "sqlite"


def sqlite_path(database_url: str) -> Path | None:
    """The file behind a SQLite URL (None for in-memory or non-SQLite databases)."""
    url = make_url(_normalise_scheme(database_url))
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def postgres_conninfo(database_url: str) -> str:
    """A libpq connection string (what psycopg and the LangGraph Postgres saver take)."""
    url = make_url(_normalise_scheme(database_url)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _normalise_scheme(database_url: str) -> str:
    if database_url.startswith("postgres://"):
        return "postgresql://" + database_url.removeprefix("postgres://")
    return database_url


def ensure_sqlite_directory(database_url: str) -> None:
    path = sqlite_path(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
"""WAL lets the checkpointer's connection and ours write without "database is locked"; the busy
timeout covers the short overlaps that remain; NORMAL sync is crash-safe under WAL."""


def _configure_sqlite(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


POSTGRES_POOL = {"pool_size": 6, "max_overflow": 6}
"""Sized for a worker's concurrent turns, each holding an advisory-lock connection too."""


class Database:
    """An async engine and its session factory. Creating one opens no connection."""

    def __init__(self, database_url: str, *, echo: bool = False) -> None:
        self.url = database_url
        pool: dict[str, int] = {} if is_sqlite(database_url) else POSTGRES_POOL
        self.engine: AsyncEngine = create_async_engine(
            async_url(database_url),
            echo=echo,
            pool_pre_ping=not is_sqlite(database_url),
            # Errors are logged with their tracebacks; bound values (phone numbers, texts) stay
            # out of them.
            hide_parameters=True,
            **pool,
        )
        if is_sqlite(database_url):
            event.listen(self.engine.sync_engine, "connect", _configure_sqlite)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed when the block ends, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def prepare(self) -> None:
        """Create the SQLite file's folder without blocking the event loop."""
        await asyncio.to_thread(ensure_sqlite_directory, self.url)

    async def dispose(self) -> None:
        await self.engine.dispose()
