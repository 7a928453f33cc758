"""A process that starts again, or sees another's write, catches up instead of rebuilding."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete

from stores import indexes, memories
from stores.db import Database
from stores.indexes import IndexCache
from stores.models import VectorIndexVersion
from tests.fake_embeddings import HashEmbeddings
from tests.helpers import add_user

FACTS = [f"my locker number {n} is by door {n * 7}" for n in range(30)]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


class CountingLoader:
    """The memories loader, counting what a process reads from SQL to get its copy."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.full_loads = 0
        self.vectors_read: list[int] = []

    async def __call__(
        self, session: Any, only: list[int] | None = None, ids_only: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        ids, vectors = await memories._load_current(session, self.user_id, only, ids_only)
        if only is None and not ids_only:
            self.full_loads += 1
        if not ids_only:
            self.vectors_read.extend(ids.tolist())
        return ids, vectors


async def _search(process: IndexCache, db: Database, loader: CountingLoader, query: str):
    vector = (await HashEmbeddings().aembed_array([query]))[0]
    async with db.session() as session:
        name = memories.collection(loader.user_id)
        return await process.search(session, name, loader, vector, 3)


async def _remember_all(db, clock, user_id, facts):
    stored = []
    for fact in facts:
        saved = await memories.remember(
            db, HashEmbeddings(), user_id=user_id, text=fact, clock=clock
        )
        stored.append(saved.memory.id)
    return stored


async def test_a_restarted_process_searches_the_saved_index_without_reading_vectors(db, clock):
    user = await add_user(db, clock, "+14155550123")
    ids = await _remember_all(db, clock, user.id, FACTS)
    before = CountingLoader(user.id)
    first = await _search(IndexCache(), db, before, FACTS[4])  # builds from SQL, saves it
    assert before.full_loads == 1

    restarted = CountingLoader(user.id)
    again = await _search(IndexCache(), db, restarted, FACTS[4])  # a new process
    assert again == first
    assert again[0][0] == ids[4]
    assert restarted.full_loads == 0 and restarted.vectors_read == []


async def test_another_process_write_is_applied_as_a_difference(db, clock):
    user = await add_user(db, clock, "+14155550123")
    await _remember_all(db, clock, user.id, FACTS)
    other = IndexCache()  # a second process, with its own copy
    loader = CountingLoader(user.id)
    await _search(other, db, loader, FACTS[0])
    loads_before = loader.full_loads

    # This process writes: a new fact, and one that supersedes (removes) fact 2.
    [new_id] = await _remember_all(db, clock, user.id, ["the gate code is 4412"])
    forgotten = [
        m.id
        for m in await memories.forget(
            db, HashEmbeddings(), user_id=user.id, query=FACTS[2], clock=clock
        )
    ]

    found = await _search(other, db, loader, "the gate code is 4412")
    assert found[0][0] == new_id
    assert loader.full_loads == loads_before  # no rebuild
    assert loader.vectors_read[-1:] == [new_id]  # only the new row's vector was read
    assert forgotten  # and what was forgotten is gone from the other copy too
    gone = await _search(other, db, loader, FACTS[2])
    assert all(memory_id not in forgotten for memory_id, _ in gone)


async def test_an_erased_collection_leaves_no_saved_index(db, clock):
    user = await add_user(db, clock, "+14155550123")
    await _remember_all(db, clock, user.id, FACTS[:3])
    await _search(IndexCache(), db, CountingLoader(user.id), FACTS[0])
    key = db.engine.url.render_as_string(hide_password=True)
    data, stamp = indexes._files(key, memories.collection(user.id))
    assert data.exists() and stamp.exists()

    async with db.session() as session:  # what deleting the user does (ON DELETE CASCADE)
        await session.execute(delete(VectorIndexVersion))
    assert await _search(IndexCache(), db, CountingLoader(user.id), FACTS[0]) == []
    assert not data.exists() and not stamp.exists()
