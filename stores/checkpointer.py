"""The LangGraph checkpointer for the configured database: SQLite by default, Postgres at scale."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.base import SerializerProtocol

from stores import crypto
from stores.db import (
    SQLITE_PRAGMAS,
    ensure_sqlite_directory,
    is_sqlite,
    postgres_conninfo,
    sqlite_path,
)

POSTGRES_POOL_SIZE = 4
SETUP_LOCK_KEY = 0x534D534153455455  # "SMSASETU": serialises checkpointer set-up


@asynccontextmanager
async def open_checkpointer(database_url: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """An async saver whose tables live beside ours (same SQLite file or Postgres database),
    encrypting what it stores with the same keys as our columns."""
    serde = crypto.checkpoint_serializer(await asyncio.to_thread(crypto.keyring))
    if is_sqlite(database_url):
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        path = sqlite_path(database_url)
        await asyncio.to_thread(ensure_sqlite_directory, database_url)
        async with aiosqlite.connect(str(path or ":memory:")) as connection:
            sqlite_saver = AsyncSqliteSaver(connection, serde=serde)
            # As for our own connections (stores.db): WAL so writers don't block readers, and
            # synchronous=NORMAL, which in WAL mode is still crash-safe but skips an fsync per
            # checkpoint (a turn writes several).
            for pragma in SQLITE_PRAGMAS:
                await connection.execute(pragma)
            await sqlite_saver.setup()
            yield sqlite_saver
    else:
        async with _pooled_postgres_saver(postgres_conninfo(database_url), serde) as saver:
            yield saver


class _NoLock:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


@asynccontextmanager
async def _pooled_postgres_saver(
    conninfo: str, serde: SerializerProtocol
) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """AsyncPostgresSaver over a connection pool, without its instance-wide lock.

    The saver takes one asyncio.Lock around every call, even with a pool, which serialises all
    concurrent turns of a worker on one checkpoint query at a time (langgraph #7259). The lock
    only protects a single shared connection; each pooled call gets its own, so it can go.
    """
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(
        conninfo,
        min_size=1,
        max_size=POSTGRES_POOL_SIZE,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        open=False,
    )
    await pool.open(wait=True, timeout=30)
    try:
        saver = AsyncPostgresSaver(pool, serde=serde)  # type: ignore[arg-type]
        saver.lock = _NoLock()  # type: ignore[assignment]
        # Processes starting together would run the saver's own migrations at once and
        # deadlock on its CREATE INDEX; one at a time, the later ones find nothing to do.
        # Poll rather than wait in pg_advisory_lock: a statement blocked there keeps its
        # snapshot, and CREATE INDEX CONCURRENTLY (run by the holder) waits for every older
        # snapshot to end, so the two would wait for each other for ever.
        async with pool.connection() as connection:
            await _lock_by_polling(connection, SETUP_LOCK_KEY)
            try:
                await saver.setup()
            finally:
                await connection.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK_KEY,))
        yield saver
    finally:
        await pool.close()


async def _lock_by_polling(connection: Any, key: int, poll_seconds: float = 0.1) -> None:
    """pg_advisory_lock(key) without a statement left waiting (and holding a snapshot)."""
    while True:  # until taken; the other process's setup takes a second or two
        cursor = await connection.execute("SELECT pg_try_advisory_lock(%s) AS locked", (key,))
        row = await cursor.fetchone()
        if row and row["locked"]:
            return
        await asyncio.sleep(poll_seconds)
