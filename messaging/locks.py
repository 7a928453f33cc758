"""One turn at a time per conversation, across every worker that shares the database.

LangGraph does nothing about two runs on one thread at once (they fork the checkpoint chain), so
a worker takes the conversation's lock before it claims a text and holds it for the whole turn.
SQLite runs one process, so an in-process set is enough; on Postgres the lock is a session-level
advisory lock on a connection held for the turn: if the worker dies, its connection closes and
the lock is released, which is also how recovery tells a dead worker's rows from a live one's.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class ConversationLocks(Protocol):
    async def try_acquire(self, key: str) -> bool: ...

    async def release(self, key: str) -> None: ...


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


def advisory_key(key: str) -> int:
    """A stable signed 64-bit number for the key (what pg_advisory_lock takes)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


class PostgresAdvisoryLocks:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._held: dict[str, AsyncConnection] = {}

    async def try_acquire(self, key: str) -> bool:
        if key in self._held:
            return False
        self._held[key] = connection = await self._engine.connect()
        try:
            acquired = (
                await connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(key)}
                )
            ).scalar_one()
            await connection.commit()
        except BaseException:
            del self._held[key]
            await connection.close()
            raise
        if not acquired:
            del self._held[key]
            await connection.close()
        return bool(acquired)

    async def release(self, key: str) -> None:
        connection = self._held.pop(key, None)
        if connection is None:
            return
        try:
            await connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(key)}
            )
            await connection.commit()
        finally:
            await connection.close()


def locks_for(engine: AsyncEngine) -> ConversationLocks:
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLocks(engine)
    return InProcessLocks()
