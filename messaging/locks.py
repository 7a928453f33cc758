"""One turn at a time per conversation, across every worker that shares the database.

LangGraph does nothing about two runs on one thread at once (they fork the checkpoint chain), so
a worker takes the conversation's lock before it claims a text and holds it for the whole turn.
SQLite runs one process, so an in-process set is enough; on Postgres the lock is a session-level
advisory lock on a connection held for the turn: if the worker dies, its connection closes and
the lock is released, which is also how recovery tells a dead worker's rows from a live one's.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class ConversationLocks(Protocol):
    async def try_acquire(self, key: str) -> bool: ...

    async def release(self, key: str) -> None: ...

    async def close(self) -> None: ...


class InProcessLocks:
    def __init__(self) -> None:
        self._held: set[str] = set()

    async def try_acquire(self, key: str) -> bool:
        if key in self._held:
            return False
        self._held.add(key)
        return True

    async def release(self, key: str) -> None:
        self._held.discard(key)

    async def close(self) -> None:
        self._held.clear()


def advisory_key(key: str) -> int:
    """A stable signed 64-bit number for the key (what pg_advisory_lock takes)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


class PostgresAdvisoryLocks:
    """Session-level advisory locks, all held on one connection of this process.

    One connection per held lock would cap the turns in flight at the pool's size; a session
    holds any number of advisory locks, so one connection serves them all (statements on it are
    short and taken in turn). If the process dies the connection closes and every lock it held
    is released, as before. If the connection breaks, the locks it held are gone too: the next
    statement opens a new one and takes the running turns' locks again (`_retake`).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._held: set[str] = set()
        self._connection: AsyncConnection | None = None
        self._turn = asyncio.Lock()

    async def _execute(self, statement: str, key: str) -> object:
        async with self._turn:
            if self._connection is None:
                self._connection = await self._engine.connect()
                await self._retake(self._connection, exclude=key)
            try:
                value = (
                    await self._connection.execute(text(statement), {"key": advisory_key(key)})
                ).scalar_one()
                await self._connection.commit()
            except BaseException:
                connection, self._connection = self._connection, None
                with contextlib.suppress(Exception):
                    await connection.invalidate()
                raise
            return value

    async def _retake(self, connection: AsyncConnection, *, exclude: str) -> None:
        """On a new connection (the old one broke, and its locks went with it), take again
        the locks of the turns still running here, so no other worker's recovery thinks them
        abandoned. Best effort: one another worker took meanwhile stays theirs."""
        for key in sorted(self._held - {exclude}):
            await connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(key)}
            )
        await connection.commit()

    async def try_acquire(self, key: str) -> bool:
        if key in self._held:
            return False
        self._held.add(key)  # before the await: a second claim in this process sees it
        try:
            acquired = await self._execute("SELECT pg_try_advisory_lock(:key)", key)
        except BaseException:
            self._held.discard(key)
            raise
        if not acquired:
            self._held.discard(key)
        return bool(acquired)

    async def release(self, key: str) -> None:
        if key not in self._held:
            return
        try:
            await self._execute("SELECT pg_advisory_unlock(:key)", key)
        finally:
            self._held.discard(key)

    async def close(self) -> None:
        async with self._turn:
            if self._connection is not None:
                await self._connection.close()
                self._connection = None
            self._held.clear()


def locks_for(engine: AsyncEngine) -> ConversationLocks:
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLocks(engine)
    return InProcessLocks()
