"""FAISS indexes kept in step with SQL, in every process.

SQL holds each vector with its row; a FAISS index is only a copy, built from SQL the first time a
collection is searched. Every write to a collection bumps its row in `vector_indexes` first (in
the write's own transaction, so writers to one collection queue on that row). A search compares
the row with the version the process's copy was built at:

* equal: search the copy;
* different (another process wrote, or the copy was never built): rebuild the copy from SQL.

After committing, a writer applies its own change to the copy in place when the copy was exactly
one version behind; otherwise it drops the copy and the next search rebuilds it.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Select, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.models import VectorIndexVersion
from stores.vector_index import VectorIndex

if TYPE_CHECKING:
    from stores.db import Database
    from stores.embeddings import TextEmbeddings

Stamp = tuple[str, int]
"""(generation, version) of a collection."""
Loader = Callable[[AsyncSession], Awaitable[tuple[np.ndarray, np.ndarray]]]
"""Reads a collection's (ids, vectors) from SQL."""

LOAD_ATTEMPTS = 3


def vectors_from_blobs(blobs: list[bytes]) -> np.ndarray:
    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([np.frombuffer(blob, dtype=np.float32) for blob in blobs])


def database_key(session: AsyncSession) -> str:
    bind = session.get_bind()
    url = getattr(bind, "url", None) or bind.engine.url
    return str(url.render_as_string(hide_password=True))


async def read_stamp(session: AsyncSession, name: str) -> Stamp | None:
    query = select(VectorIndexVersion.generation, VectorIndexVersion.version).where(
        VectorIndexVersion.name == name
    )
    row = (await session.execute(query)).one_or_none()
    return (row.generation, row.version) if row else None


async def bump(session: AsyncSession, name: str, *, user_id: int | None, clock: Clock) -> Stamp:
    """Start a write to collection `name`: lock its version row and move it on by one."""
    now = clock.now()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.execute(
        dialect.insert(VectorIndexVersion)
        .values(name=name, user_id=user_id, generation=uuid.uuid4().hex, version=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    row = (
        await session.execute(
            update(VectorIndexVersion)
            .where(VectorIndexVersion.name == name)
            .values(version=VectorIndexVersion.version + 1, updated_at=now)
            .returning(VectorIndexVersion.generation, VectorIndexVersion.version)
        )
    ).one()
    return (row.generation, row.version)


@dataclass
class _Copy:
    stamp: Stamp
    index: VectorIndex | None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        with self.lock:
            return self.index.search(vector, k) if self.index is not None else []

    def change(self, add: tuple[np.ndarray, np.ndarray] | None, remove: list[int]) -> None:
        with self.lock:
            if remove and self.index is not None:
                self.index.remove(np.array(remove, dtype=np.int64))
            if add is not None and len(add[0]):
                if self.index is None:
                    self.index = VectorIndex(add[1].shape[1])
                self.index.add(add[0], add[1])


def _build(ids: np.ndarray, vectors: np.ndarray) -> VectorIndex | None:
    if len(ids) == 0:
        return None
    return VectorIndex.build(vectors.shape[1], ids, vectors)


class IndexCache:
    """This process's FAISS copies, keyed by (database, collection)."""

    def __init__(self) -> None:
        self._copies: dict[tuple[str, str], _Copy] = {}

    async def _current(self, session: AsyncSession, name: str, loader: Loader) -> _Copy | None:
        key = (database_key(session), name)
        copy: _Copy | None = None
        for _ in range(LOAD_ATTEMPTS):
            stamp = await read_stamp(session, name)
            if stamp is None:
                return None  # never written
            cached = self._copies.get(key)
            if cached is not None and cached.stamp == stamp:
                return cached
            ids, vectors = await loader(session)
            index = await asyncio.to_thread(_build, ids, vectors)
            copy = _Copy(stamp=stamp, index=index)
            # The rows match `stamp` only if no write committed between the two reads.
            if await read_stamp(session, name) == stamp:
                self._copies[key] = copy
                return copy
        return copy  # writes keep landing: use the newest read once, uncached

    async def search(
        self, session: AsyncSession, name: str, loader: Loader, vector: np.ndarray, k: int
    ) -> list[tuple[int, float]]:
        """(row id, cosine) pairs, best first. Callers re-read the rows: SQL has the last word."""
        copy = await self._current(session, name, loader)
        if copy is None:
            return []
        return await asyncio.to_thread(copy.search, vector, k)

    async def size(self, session: AsyncSession, name: str, loader: Loader) -> int:
        copy = await self._current(session, name, loader)
        return len(copy.index) if copy is not None and copy.index is not None else 0

    async def after_write(
        self,
        database: str,
        name: str,
        stamp: Stamp,
        *,
        add: tuple[np.ndarray, np.ndarray] | None = None,
        remove: list[int] | None = None,
    ) -> None:
        """Apply a committed write to this process's copy, or drop the copy if it was stale."""
        key = (database, name)
        copy = self._copies.get(key)
        if copy is None:
            return
        generation, version = stamp
        if copy.stamp != (generation, version - 1):
            self._copies.pop(key, None)
            return
        await asyncio.to_thread(copy.change, add, remove or [])  # may rebuild as HNSW: seconds
        copy.stamp = stamp

    def forget(self, database: str | None = None, name: str | None = None) -> None:
        """Drop copies (all, one database's, or one collection's): the next search rebuilds
        from SQL."""
        for key in list(self._copies):
            if database in (None, key[0]) and name in (None, key[1]):
                self._copies.pop(key, None)


INDEXES = IndexCache()
"""The process-wide copies every store uses."""


async def reembed_rows(
    database: Database,
    embeddings: TextEmbeddings,
    *,
    model: Any,
    stale: Select[int, str],
    index: str,
    user_id: int | None,
    clock: Clock,
) -> int:
    """Re-embed the rows `stale` selects (id, text) with `embeddings`, and make every process
    rebuild its copy of `index` from SQL. Returns how many rows were re-embedded."""
    async with database.session() as session:
        rows = (await session.execute(stale)).all()
    # Embedding happens outside any transaction: on SQLite a long one would block every writer.
    vectors: Any = await embeddings.aembed_array([row.text for row in rows]) if rows else []
    async with database.session() as session:
        await bump(session, index, user_id=user_id, clock=clock)
        for row, vector in zip(rows, vectors, strict=True):
            await session.execute(
                update(model)
                .where(model.id == row.id)
                .values(
                    embedding=vector.astype(np.float32).tobytes(),
                    embedding_model=embeddings.model_id,
                )
            )
        db = database_key(session)
    # The version moved on with no in-place change: this process rebuilds like every other.
    INDEXES.forget(db, index)
    return len(rows)
