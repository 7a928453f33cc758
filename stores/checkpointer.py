"""The LangGraph checkpointer for the configured database: SQLite by default, Postgres at scale."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

from stores.db import ensure_sqlite_directory, is_sqlite, postgres_conninfo, sqlite_path


@asynccontextmanager
async def open_checkpointer(database_url: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """An async saver whose tables live beside ours (same SQLite file or Postgres database)."""
    if is_sqlite(database_url):
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        path = sqlite_path(database_url)
        if path is not None:
            ensure_sqlite_directory(database_url)
        async with AsyncSqliteSaver.from_conn_string(str(path or ":memory:")) as saver:
            await saver.conn.execute("PRAGMA busy_timeout=10000")
            await saver.setup()
            yield saver
    else:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        async with AsyncPostgresSaver.from_conn_string(postgres_conninfo(database_url)) as saver:
            await saver.setup()
            yield saver
