"""Long-term memory on SQLite and Postgres: SQL is the truth, FAISS follows every write."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from stores import indexes, memories
from stores.db import Database
from stores.models import Memory
from tests.fake_embeddings import HashEmbeddings
from tests.helpers import add_user
from tests.queries import memory_history

K, MIN = 5, 0.3


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def emb() -> HashEmbeddings:
    return HashEmbeddings()


async def _recall(db, emb, user_id, query, clock):
    found = await memories.recall(
        db, emb, user_id=user_id, query=query, k=K, min_score=MIN, clock=clock
    )
    return [r.memory.text for r in found]


async def test_remembered_facts_are_recalled_and_stamped(db, emb, clock):
    ann = await add_user(db, clock, "+14155550123")
    saved = await memories.remember(
        db,
        emb,
        user_id=ann.id,
        text="Anna's birthday is June 3",
        clock=clock,
        source_message_sid="SM1",
    )
    assert saved.memory.subject == "anna's birthday" and not saved.duplicate
    await memories.remember(db, emb, user_id=ann.id, text="gate code is 4412", clock=clock)
    clock.advance(timedelta(days=3))
    assert await _recall(db, emb, ann.id, "when is anna's birthday", clock) == [
        "Anna's birthday is June 3"
    ]
    async with db.session() as session:
        row = await session.get(Memory, saved.memory.id)
        assert row is not None
        assert row.last_recalled_at == clock.now()
        assert row.source_message_sid == "SM1"
        assert len(np.frombuffer(row.embedding, dtype=np.float32)) == emb.dimension


async def test_users_never_see_each_others_memories(db, emb, clock):
    ann = await add_user(db, clock, "+14155550123")
    bob = await add_user(db, clock, "+14155550124", name="Bob")
    await memories.remember(db, emb, user_id=ann.id, text="my locker code is 77", clock=clock)
    assert await _recall(db, emb, bob.id, "locker code", clock) == []
    assert await _recall(db, emb, ann.id, "locker code", clock) == ["my locker code is 77"]


async def test_a_newer_fact_on_the_same_subject_supersedes_and_keeps_history(db, emb, clock):
    ann = await add_user(db, clock, "+14155550123")
    first = await memories.remember(
        db, emb, user_id=ann.id, text="My address is 12 Elm Street", clock=clock
    )
    clock.advance(timedelta(days=30))
    second = await memories.remember(
        db, emb, user_id=ann.id, text="my address is 40 Oak Avenue", clock=clock
    )
    assert [m.id for m in second.superseded] == [first.memory.id]
    assert await _recall(db, emb, ann.id, "address street avenue", clock) == [
        "my address is 40 Oak Avenue"
    ]
    async with db.session() as session:
        history = await memory_history(session, user_id=ann.id, subject="my address")
        current = await memories.list_memories(session, user_id=ann.id)
    assert [m.text for m in history] == [
        "My address is 12 Elm Street",
        "my address is 40 Oak Avenue",
    ]
    assert history[0].superseded_by_id == second.memory.id
    assert [m.text for m in current] == ["my address is 40 Oak Avenue"]


async def test_restating_a_fact_stores_nothing_new(db, emb, clock):
    ann = await add_user(db, clock, "+14155550123")
    await memories.remember(db, emb, user_id=ann.id, text="I'm vegetarian", clock=clock)
    again = await memories.remember(db, emb, user_id=ann.id, text="i'm  vegetarian.", clock=clock)
    assert again.duplicate
    async with db.session() as session:
        assert await memories.count_memories(session, user_id=ann.id) == 1


async def test_forget_removes_the_fact_and_its_history_from_sql_and_faiss(db, emb, clock):
    ann = await add_user(db, clock, "+14155550123")
    await memories.remember(db, emb, user_id=ann.id, text="my address is 12 Elm St", clock=clock)
    await memories.remember(db, emb, user_id=ann.id, text="my address is 40 Oak Ave", clock=clock)
    await memories.remember(db, emb, user_id=ann.id, text="gate code is 4412", clock=clock)
    removed = await memories.forget(db, emb, user_id=ann.id, query="my address", clock=clock)
    assert [m.text for m in removed] == ["my address is 40 Oak Ave"]
    async with db.session() as session:
        left = (await session.execute(select(Memory.text).where(Memory.user_id == ann.id))).all()
        assert [row.text for row in left] == ["gate code is 4412"]  # history went too
        loader = _loader(ann.id)
        assert await indexes.INDEXES.size(session, memories.collection(ann.id), loader) == 1
    assert await _recall(db, emb, ann.id, "address Oak Elm", clock) == []


async def test_forget_by_meaning_when_no_subject_matches(db, emb, clock):
    ann = await add_user(db, clock, "+14155550123")
    await memories.remember(db, emb, user_id=ann.id, text="I'm allergic to peanuts", clock=clock)
    assert await memories.forget(db, emb, user_id=ann.id, query="weather", clock=clock) == []
    removed = await memories.forget(
        db, emb, user_id=ann.id, query="allergic to peanuts", clock=clock
    )
    assert [m.text for m in removed] == ["I'm allergic to peanuts"]


def _loader(user_id: int):
    async def load(session):
        return await memories._load_current(session, user_id)

    return load


async def test_a_rebuilt_index_answers_exactly_like_the_live_one(db, emb, clock):
    ann = await add_user(db, clock, "+14155550123")
    pairs = ["red fox", "green owl", "blue cat", "cyan eel", "plum yak", "gold emu", "teal bat"]
    for pair in pairs:
        await memories.remember(db, emb, user_id=ann.id, text=f"a {pair} sticker", clock=clock)
    await memories.remember(db, emb, user_id=ann.id, text="my car is a red van", clock=clock)
    await memories.remember(db, emb, user_id=ann.id, text="my car is a blue bike", clock=clock)
    await memories.forget(db, emb, user_id=ann.id, query="a gold emu sticker", clock=clock)
    queries = ["red", "car", "teal bat", "owl cat eel", "gold emu"]
    live = [await _recall(db, emb, ann.id, q, clock) for q in queries]
    indexes.INDEXES.forget()  # as after a restart: rebuilt from SQL on first search
    rebuilt = [await _recall(db, emb, ann.id, q, clock) for q in queries]
    assert rebuilt == live
    assert "my car is a blue bike" in live[1] and "my car is a red van" not in live[1]
    assert all("gold" not in text for result in live for text in result)


async def test_another_process_sees_writes_through_the_version_row(db, emb, clock, monkeypatch):
    """Two index caches stand for two processes sharing one database."""
    ann = await add_user(db, clock, "+14155550123")
    process_a, process_b = indexes.IndexCache(), indexes.IndexCache()
    monkeypatch.setattr(memories, "INDEXES", process_a)
    await memories.remember(db, emb, user_id=ann.id, text="gym locker is 12", clock=clock)
    monkeypatch.setattr(memories, "INDEXES", process_b)
    assert await _recall(db, emb, ann.id, "gym locker", clock) == ["gym locker is 12"]
    monkeypatch.setattr(memories, "INDEXES", process_a)  # A writes; B's copy is now stale
    await memories.remember(db, emb, user_id=ann.id, text="gym locker is 31", clock=clock)
    await memories.forget(db, emb, user_id=ann.id, query="no such thing", clock=clock)
    monkeypatch.setattr(memories, "INDEXES", process_b)
    assert await _recall(db, emb, ann.id, "gym locker", clock) == ["gym locker is 31"]
    async with db.session() as session:
        total = (await session.execute(select(func.count(Memory.id)))).scalar_one()
    assert total == 2


async def test_reembed_moves_facts_to_the_current_model(db, emb, clock):
    ann = await add_user(db, clock, "+14155550123")
    await memories.remember(db, emb, user_id=ann.id, text="boat is called Wren", clock=clock)

    class OtherModel(HashEmbeddings):
        model_id = "test-hash-other"

    other = OtherModel()
    assert await memories.reembed(db, other, user_id=ann.id, clock=clock) == 1
    assert await memories.reembed(db, other, user_id=ann.id, clock=clock) == 0
    assert await _recall(db, other, ann.id, "boat name Wren", clock) == ["boat is called Wren"]


async def test_bad_input_is_refused_with_a_reason(db, emb, clock):
    ann = await add_user(db, clock, "+14155550123")
    with pytest.raises(ValueError, match="needs some text"):
        await memories.remember(db, emb, user_id=ann.id, text="   ", clock=clock)
    with pytest.raises(ValueError, match="at most"):
        await memories.remember(db, emb, user_id=ann.id, text="x" * 600, clock=clock)
    assert await _recall(db, emb, ann.id, "   ", clock) == []


def test_subjects_come_from_the_wording():
    assert memories.subject_of("Anna's birthday is June 3") == "anna's birthday"
    assert memories.subject_of("My home address is 1 Main St") == "home address"
    assert memories.subject_of("I live at 1 Main St") == "address"
    assert memories.subject_of("I'm vegetarian") is None
    assert memories.normalise_subject("My Address!") == "address"
