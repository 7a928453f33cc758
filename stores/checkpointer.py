"""The LangGraph checkpointer for the configured database: SQLite by default, Postgres at scale."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from stores import crypto
from stores.db import (
    SQLITE_PRAGMAS,
    ensure_sqlite_directory,
    is_sqlite,
    postgres_conninfo,
    sqlite_path,
)

if TYPE_CHECKING:  # LangGraph is imported when a saver is opened, not with this module
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.checkpoint.serde.base import SerializerProtocol

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
            await connection.executescript(SQLITE_PRUNE_TRIGGER)
            await connection.commit()
            yield sqlite_saver
    else:
        async with _pooled_postgres_saver(postgres_conninfo(database_url), serde) as saver:
            yield saver


# A conversation keeps only its latest checkpoint: the database drops the superseded ones as a
# new one is written, in the same statement, so pruning costs no round trip. The latest one holds
# all a turn needs: the state (with the history, itself bounded by summarize) and, in its
# writes, the question of a pending approval. Checkpoint ids grow with time (uuid6), and a run
# saves a checkpoint before the writes that belong to it, so "older than the new one" is safe.
# (LangGraph's time travel through old checkpoints is given up; nothing here uses it.)
SQLITE_PRUNE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS prune_superseded_checkpoints AFTER INSERT ON checkpoints
BEGIN
    DELETE FROM checkpoints WHERE thread_id = NEW.thread_id
        AND checkpoint_ns = NEW.checkpoint_ns AND checkpoint_id < NEW.checkpoint_id;
    DELETE FROM writes WHERE thread_id = NEW.thread_id
        AND checkpoint_ns = NEW.checkpoint_ns AND checkpoint_id < NEW.checkpoint_id;
END;
"""

# On Postgres the channel values live in checkpoint_blobs, one row per channel version; the
# saver writes a checkpoint's new blobs before the checkpoint, and the kept checkpoint names the
# versions it reads, so every other blob of the thread is garbage.
POSTGRES_PRUNE_TRIGGER = (
    """
CREATE OR REPLACE FUNCTION prune_superseded_checkpoints() RETURNS trigger AS $$
BEGIN
    DELETE FROM checkpoints WHERE thread_id = NEW.thread_id
        AND checkpoint_ns = NEW.checkpoint_ns AND checkpoint_id < NEW.checkpoint_id;
    DELETE FROM checkpoint_writes WHERE thread_id = NEW.thread_id
        AND checkpoint_ns = NEW.checkpoint_ns AND checkpoint_id < NEW.checkpoint_id;
    DELETE FROM checkpoint_blobs AS b WHERE b.thread_id = NEW.thread_id
        AND b.checkpoint_ns = NEW.checkpoint_ns
        AND b.version IS DISTINCT FROM (NEW.checkpoint -> 'channel_versions' ->> b.channel);
    RETURN NULL;
END
$$ LANGUAGE plpgsql
""",
    """
CREATE OR REPLACE TRIGGER prune_superseded_checkpoints
    AFTER INSERT OR UPDATE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION prune_superseded_checkpoints()
""",
)

SETUP_LOCK_POLL_SECONDS = 0.05


async def _take_setup_lock(connection: Any) -> None:
    """Wait for the set-up lock by polling, never with a blocking pg_advisory_lock.

    Processes starting together would run the saver's own migrations at once and deadlock on its
    CREATE INDEX; one at a time, the later ones find nothing to do. But a blocking wait is itself
    a deadlock: the holder's CREATE INDEX CONCURRENTLY (run on another pooled connection) waits
    for every open transaction to end, including the waiter's `SELECT pg_advisory_lock`, which
    waits for the holder: a cycle PostgreSQL cannot see. A waiter that polls holds no snapshot
    between polls, so the holder's index build only waits for one short statement.
    """
    while True:
        cursor = await connection.execute(
            "SELECT pg_try_advisory_lock(%s) AS taken", (SETUP_LOCK_KEY,)
        )
        row = await cursor.fetchone()
        if row and row["taken"]:
            return
        await asyncio.sleep(SETUP_LOCK_POLL_SECONDS)


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
        async with pool.connection() as connection:
            await _take_setup_lock(connection)
            try:
                await saver.setup()
                for statement in POSTGRES_PRUNE_TRIGGER:
                    await connection.execute(statement)
            finally:
                await connection.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK_KEY,))
        yield saver
    finally:
        await pool.close()
