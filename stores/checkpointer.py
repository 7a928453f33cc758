"""The LangGraph checkpointer for the configured database: SQLite by default, Postgres at scale."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

from stores.db import (
    SQLITE_PRAGMAS,
    ensure_sqlite_directory,
    is_sqlite,
    postgres_conninfo,
    sqlite_path,
)


@asynccontextmanager
async def open_checkpointer(database_url: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """An async saver whose tables live beside ours (same SQLite file or Postgres database)."""
    if is_sqlite(database_url):
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        path = sqlite_path(database_url)
        await asyncio.to_thread(ensure_sqlite_directory, database_url)
        async with AsyncSqliteSaver.from_conn_string(str(path or ":memory:")) as saver:
            # As for our own connections (stores.db): WAL so writers don't block readers, and
            # synchronous=NORMAL, which in WAL mode is still crash-safe but skips an fsync per
            # checkpoint (a turn writes several).
            for pragma in SQLITE_PRAGMAS:
                await saver.conn.execute(pragma)
            await saver.setup()
            yield saver
    else:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        async with AsyncPostgresSaver.from_conn_string(postgres_conninfo(database_url)) as saver:
            await saver.setup()
            yield saver
