"""FAISS indexes kept in step with SQL, in every process.

SQL holds each vector with its row; a FAISS index is only a copy, built from SQL the first time a
collection is searched. Every write to a collection bumps its row in `vector_indexes` first (in
the write's own transaction, so writers to one collection queue on that row). A search compares
the row with the version the process's copy was built at:

* equal: search the copy;
* an older version of the same generation (another process wrote): apply the difference. Row
  ids are never reused for another vector within a generation (a re-embedding starts a new
  one), so the difference is the ids SQL has and the copy lacks (their vectors are read) and
  the ids the copy has and SQL no longer does;
* another generation, or no copy: build the copy from SQL.

After committing, a writer applies its own change to the copy in place when the copy was exactly
one version behind; otherwise it drops the copy and the next search catches up.

A copy is also saved to disk with its stamp (`index_directory`), so a restarted process starts
from the file and applies only what changed since, instead of rebuilding: at 100k vectors a
build takes tens of seconds, loading the file and the difference well under one. Saved again
when built, and once `SAVE_AFTER_CHANGES` changes have piled up since the last save.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Select, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.models import VectorIndexVersion
from stores.vector_index import VectorIndex

if TYPE_CHECKING:
    from stores.db import Database
    from stores.embeddings import TextEmbeddings

Stamp = tuple[str, int]
"""(generation, version) of a collection."""
Loader = Callable[..., Awaitable[tuple[np.ndarray, np.ndarray]]]
"""Reads a collection's (ids, vectors) from SQL: `loader(session, only=None, ids_only=False)`;
`only` limits it to some ids, `ids_only` leaves the vectors out."""

LOAD_ATTEMPTS = 3
SAVE_AFTER_CHANGES = 200
IDS_PER_QUERY = 500
log = logging.getLogger(__name__)


def index_directory(database: str) -> Path:
    """Where a database's saved indexes live: beside a SQLite file, else in a per-database
    folder of the system's temporary directory (a cache: losing it costs one build)."""
    url = make_url(database)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).resolve().parent / "indexes"
    digest = hashlib.blake2b(database.encode(), digest_size=8).hexdigest()
    return Path(tempfile.gettempdir()) / "sms-assistant-indexes" / digest


def _files(database: str, name: str) -> tuple[Path, Path]:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    folder = index_directory(database)
    return folder / f"{safe}.faiss", folder / f"{safe}.stamp.json"


def _save(database: str, name: str, stamp: Stamp, index: VectorIndex | None) -> None:
    data, stamp_file = _files(database, name)
    stamp_file.unlink(missing_ok=True)  # no stamp: the files are ignored until it is back
    if index is None:
        data.unlink(missing_ok=True)
        return
    index.save(data)
    partial = stamp_file.with_name(stamp_file.name + ".partial")
    partial.write_text(json.dumps({"generation": stamp[0], "version": stamp[1]}))
    os.replace(partial, stamp_file)


def _load_saved(database: str, name: str) -> tuple[Stamp, VectorIndex] | None:
    data, stamp_file = _files(database, name)
    try:
        saved = json.loads(stamp_file.read_text())
        return (str(saved["generation"]), int(saved["version"])), VectorIndex.load(data)
    except FileNotFoundError:
        return None
    except Exception as error:  # a damaged file is only a cache: build from SQL instead
        log.warning("saved index %s unreadable (%s); rebuilding", name, type(error).__name__)
        return None


def _forget_saved(database: str, name: str) -> None:
    for path in _files(database, name):
        path.unlink(missing_ok=True)


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


async def bump(
    session: AsyncSession,
    name: str,
    *,
    user_id: int | None,
    clock: Clock,
    new_generation: bool = False,
) -> Stamp:
    """Start a write to collection `name`: lock its version row and move it on by one.
    `new_generation` when vectors change under ids that stay (every copy then rebuilds)."""
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
            .values(
                version=VectorIndexVersion.version + 1,
                updated_at=now,
                **({"generation": uuid.uuid4().hex} if new_generation else {}),
            )
            .returning(VectorIndexVersion.generation, VectorIndexVersion.version)
        )
    ).one()
    return (row.generation, row.version)


@dataclass
class _Copy:
    stamp: Stamp
    index: VectorIndex | None
    saved_version: int = -(10**9)  # never saved
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> set[int]:
        with self.lock:
            return self.index.ids if self.index is not None else set()

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
        database = database_key(session)
        key = (database, name)
        copy: _Copy | None = None
        for _ in range(LOAD_ATTEMPTS):
            stamp = await read_stamp(session, name)
            if stamp is None:
                # Erased (or never written): no copy, and no file of it left on disk.
                self._copies.pop(key, None)
                await asyncio.to_thread(_forget_saved, database, name)
                return None  # never written, or erased
            cached = self._copies.get(key)
            if cached is None:
                cached = await self._from_disk(database, name)
            if cached is not None and cached.stamp == stamp:
                self._copies[key] = cached
                return cached
            if cached is not None and cached.stamp[0] == stamp[0] and cached.stamp[1] < stamp[1]:
                copy = await self._catch_up(session, cached, stamp, loader)
            else:
                ids, vectors = await loader(session)
                index = await asyncio.to_thread(_build, ids, vectors)
                copy = _Copy(stamp=stamp, index=index)  # never saved: saved below
            # The rows match `stamp` only if no write committed between the two reads.
            if await read_stamp(session, name) == stamp:
                self._copies[key] = copy
                if copy.stamp[1] - copy.saved_version >= SAVE_AFTER_CHANGES:
                    await self._save(database, name, copy)
                return copy
        return copy  # writes keep landing: use the newest read once, uncached

    async def _from_disk(self, database: str, name: str) -> _Copy | None:
        saved = await asyncio.to_thread(_load_saved, database, name)
        if saved is None:
            return None
        stamp, index = saved
        return _Copy(stamp=stamp, index=index, saved_version=stamp[1])

    async def _catch_up(
        self, session: AsyncSession, stale: _Copy, stamp: Stamp, loader: Loader
    ) -> _Copy:
        """`stale` brought up to `stamp` in place: what SQL has that it lacks is added, what
        it has that SQL no longer has is removed (a search meanwhile sees either state)."""
        live_ids, _ = await loader(session, ids_only=True)
        live = set(live_ids.tolist())
        have = stale.ids()
        new = sorted(live - have)
        parts = [
            await loader(session, only=new[start : start + IDS_PER_QUERY])
            for start in range(0, len(new), IDS_PER_QUERY)
        ]
        added = None
        if parts:
            added = (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
        await asyncio.to_thread(stale.change, added, sorted(have - live))
        stale.stamp = stamp
        return stale

    async def _save(self, database: str, name: str, copy: _Copy) -> None:
        def save() -> None:
            with copy.lock:  # searches wait for the write (rare: see SAVE_AFTER_CHANGES)
                _save(database, name, copy.stamp, copy.index)
                copy.saved_version = copy.stamp[1]

        try:
            await asyncio.to_thread(save)
        except OSError as error:  # a cache: serve from memory, build again after a restart
            log.warning("could not save index %s (%s)", name, type(error).__name__)

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
        if stamp[1] - copy.saved_version >= SAVE_AFTER_CHANGES:
            await self._save(database, name, copy)

    def forget(self, database: str | None = None, name: str | None = None) -> None:
        """Drop copies in memory (all, one database's, or one collection's): the next search
        reads the saved file, or rebuilds from SQL when its generation is gone."""
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
        await bump(session, index, user_id=user_id, clock=clock, new_generation=True)
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
