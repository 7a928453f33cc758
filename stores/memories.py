"""Long-term memory: durable facts about a user, recalled by meaning.

SQL is the truth: each fact row carries its vector. The FAISS copy (`stores.indexes`) holds only
current facts. A newer fact on the same subject supersedes the older one: the old row stays, for
history, with `superseded_by_id` set, and it is no longer recalled. Forgetting deletes the fact
and its history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.db import Database
from stores.embeddings import TextEmbeddings
from stores.indexes import (
    INDEXES,
    bump,
    database_key,
    read_stamp,
    reembed_rows,
    vectors_from_blobs,
)
from stores.models import Memory

MAX_FACT_CHARS = 500
DUPLICATE_SCORE = 0.95
"""Cosine above which a new fact only restates a current one (same meaning, other words)."""
FORGET_SCORE = 0.5
"""A forget request names a fact this close in meaning, when no subject matches."""

_SUBJECT = re.compile(r"^(?P<subject>[^,.;:!?]{2,80}?)\s+(?:is|are|was|were|=)\s+\S", re.IGNORECASE)
_LIVES_AT = re.compile(r"^(?:i|we)\s+live\s+(?:at|in|on)\s+\S", re.IGNORECASE)
_LEADING_WORDS = re.compile(r"^(?:(?:my|our|the|a|an|your)\s+)+", re.IGNORECASE)


def collection(user_id: int) -> str:
    return f"memories:user:{user_id}"


def normalise_subject(text: str) -> str | None:
    """'My Home address' -> 'home address'; None when nothing is left."""
    words = re.sub(r"[^\w\s'’-]", " ", text.lower().replace("’", "'"))
    subject = _LEADING_WORDS.sub("", " ".join(words.split())).strip()
    return subject[:200] or None


def subject_of(fact: str) -> str | None:
    """What a fact is about, when its wording says: 'Anna's birthday is June 3' -> "anna's
    birthday". Facts without such a subject never supersede anything."""
    fact = " ".join(fact.split())
    if _LIVES_AT.match(fact):
        return "address"
    match = _SUBJECT.match(fact)
    return normalise_subject(match.group("subject")) if match else None


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.lower().split()).rstrip(".!") == " ".join(b.lower().split()).rstrip(".!")


@dataclass(frozen=True)
class Recalled:
    memory: Memory
    score: float


@dataclass(frozen=True)
class Remembered:
    memory: Memory
    superseded: list[Memory]
    duplicate: bool
    """True when the fact was already known: nothing new was stored."""


async def _load_current(
    session: AsyncSession, user_id: int, only: list[int] | None = None, ids_only: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The current memories' (ids, vectors); `only` some ids; `ids_only` skips the vectors."""
    columns = (Memory.id,) if ids_only else (Memory.id, Memory.embedding)
    query = select(*columns).where(Memory.user_id == user_id, Memory.superseded_by_id.is_(None))
    if only is not None:
        query = query.where(Memory.id.in_(only))
    rows = (await session.execute(query)).all()
    ids = np.array([row.id for row in rows], dtype=np.int64)
    return ids, vectors_from_blobs([] if ids_only else [row.embedding for row in rows])


async def _search(
    session: AsyncSession, user_id: int, vector: np.ndarray, k: int
) -> list[tuple[int, float]]:
    async def loader(
        s: AsyncSession, only: list[int] | None = None, ids_only: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        return await _load_current(s, user_id, only, ids_only)

    return await INDEXES.search(session, collection(user_id), loader, vector, k)


async def _current_by_ids(session: AsyncSession, user_id: int, ids: list[int]) -> dict[int, Memory]:
    if not ids:
        return {}
    query = select(Memory).where(
        Memory.id.in_(ids), Memory.user_id == user_id, Memory.superseded_by_id.is_(None)
    )
    return {m.id: m for m in (await session.execute(query)).scalars()}


async def _restated(
    session: AsyncSession, user_id: int, text: str, key: str | None, vector: np.ndarray
) -> Memory | None:
    """A current fact that `text` only restates: the same words, or (when neither has a
    subject, so supersession cannot tell) nearly the same meaning."""
    current = select(Memory).where(Memory.user_id == user_id, Memory.superseded_by_id.is_(None))
    if key is not None:
        # A changed value on a known subject is an update, however similar the wording.
        same_subject = (await session.execute(current.where(Memory.subject == key))).scalars()
        return next((m for m in same_subject if _same_text(m.text, text)), None)
    hits = [i for i, s in await _search(session, user_id, vector, 3) if s >= DUPLICATE_SCORE]
    close = await _current_by_ids(session, user_id, hits)
    if close:
        return close[hits[0]] if hits[0] in close else next(iter(close.values()))
    same_words = (await session.execute(current.where(Memory.subject.is_(None)))).scalars()
    return next((m for m in same_words if _same_text(m.text, text)), None)


async def remember(
    database: Database,
    embeddings: TextEmbeddings,
    *,
    user_id: int,
    text: str,
    clock: Clock,
    subject: str | None = None,
    origin: str = "explicit",
    source_message_sid: str | None = None,
) -> Remembered:
    """Store a fact, superseding current facts on the same subject. Restating a known fact
    stores nothing new (it refreshes `updated_at`)."""
    text = " ".join(text.split())
    if not text:
        raise ValueError("a memory needs some text")
    if len(text) > MAX_FACT_CHARS:
        raise ValueError(f"a memory is at most {MAX_FACT_CHARS} characters")
    key = normalise_subject(subject) if subject else subject_of(text)
    vector = (await embeddings.aembed_array([text]))[0]
    now = clock.now()

    async with database.session() as session:
        known = await _restated(session, user_id, text, key, vector)
        if known is not None:
            known.updated_at = now
            return Remembered(memory=known, superseded=[], duplicate=True)

    async with database.session() as session:
        stamp = await bump(session, collection(user_id), user_id=user_id, clock=clock)
        older: list[Memory] = []
        if key is not None:
            older = list(
                (
                    await session.execute(
                        select(Memory).where(
                            Memory.user_id == user_id,
                            Memory.subject == key,
                            Memory.superseded_by_id.is_(None),
                        )
                    )
                ).scalars()
            )
        memory = Memory(
            user_id=user_id,
            text=text,
            subject=key,
            origin=origin,
            source_message_sid=source_message_sid,
            embedding=vector.astype(np.float32).tobytes(),
            embedding_model=embeddings.model_id,
            created_at=now,
            updated_at=now,
        )
        session.add(memory)
        await session.flush()
        for old in older:
            old.superseded_by_id = memory.id
            old.updated_at = now
        db = database_key(session)
    await INDEXES.after_write(
        db,
        collection(user_id),
        stamp,
        add=(np.array([memory.id], dtype=np.int64), vector[None, :]),
        remove=[old.id for old in older],
    )
    return Remembered(memory=memory, superseded=older, duplicate=False)


async def recall(
    database: Database,
    embeddings: TextEmbeddings,
    *,
    user_id: int,
    query: str,
    k: int,
    min_score: float,
    clock: Clock,
) -> list[Recalled]:
    """The user's current facts closest in meaning to `query`, best first, at least min_score."""
    if not query.strip():
        return []
    async with database.session() as session:
        if await read_stamp(session, collection(user_id)) is None:
            return []  # nothing ever remembered: skip the embedding
        vector = await embeddings.aembed_query_vector(query)
        hits = [(i, s) for i, s in await _search(session, user_id, vector, k) if s >= min_score]
        hits.sort(key=lambda hit: (-hit[1], hit[0]))  # ties in a stable order
        rows = await _current_by_ids(session, user_id, [i for i, _ in hits])
        found = [Recalled(memory=rows[i], score=s) for i, s in hits if i in rows]
        if found:
            await session.execute(
                update(Memory)
                .where(Memory.id.in_([r.memory.id for r in found]))
                .values(last_recalled_at=clock.now())
            )
    return found


async def list_memories(session: AsyncSession, *, user_id: int, limit: int = 50) -> list[Memory]:
    """Current facts, newest first."""
    query = (
        select(Memory)
        .where(Memory.user_id == user_id, Memory.superseded_by_id.is_(None))
        .order_by(Memory.updated_at.desc(), Memory.id.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def count_memories(session: AsyncSession, *, user_id: int) -> int:
    query = select(func.count(Memory.id)).where(
        Memory.user_id == user_id, Memory.superseded_by_id.is_(None)
    )
    return int((await session.execute(query)).scalar_one())


async def forget(
    database: Database,
    embeddings: TextEmbeddings,
    *,
    user_id: int,
    query: str,
    clock: Clock,
) -> list[Memory]:
    """Delete the current facts `query` names (by subject, else by meaning) and their history.
    Returns the current facts deleted."""
    key = normalise_subject(query)
    vector = (await embeddings.aembed_array([query]))[0]
    async with database.session() as session:
        targets: dict[int, Memory] = {}
        if key is not None:
            same_subject = select(Memory).where(
                Memory.user_id == user_id,
                Memory.superseded_by_id.is_(None),
                Memory.subject == key,
            )
            targets = {m.id: m for m in (await session.execute(same_subject)).scalars()}
        if not targets:
            hits = [
                (i, s) for i, s in await _search(session, user_id, vector, 1) if s >= FORGET_SCORE
            ]
            targets = await _current_by_ids(session, user_id, [i for i, _ in hits])
    if not targets:
        return []

    async with database.session() as session:
        stamp = await bump(session, collection(user_id), user_id=user_id, clock=clock)
        doomed = set(targets)
        frontier = set(targets)
        while frontier:  # walk back through what each fact superseded
            older = set(
                (
                    await session.execute(
                        select(Memory.id).where(
                            Memory.user_id == user_id, Memory.superseded_by_id.in_(frontier)
                        )
                    )
                ).scalars()
            )
            frontier = older - doomed
            doomed |= frontier
        await session.execute(
            update(Memory).where(Memory.id.in_(doomed)).values(superseded_by_id=None)
        )
        await session.execute(delete(Memory).where(Memory.id.in_(doomed)))
        db = database_key(session)
    await INDEXES.after_write(db, collection(user_id), stamp, remove=list(targets))
    return list(targets.values())


async def reembed(
    database: Database, embeddings: TextEmbeddings, *, user_id: int, clock: Clock
) -> int:
    """Re-embed the user's facts stored with another model, and make every process rebuild its
    copy from SQL. Returns how many facts were re-embedded."""
    stale = select(Memory.id, Memory.text).where(
        Memory.user_id == user_id, Memory.embedding_model != embeddings.model_id
    )
    return await reembed_rows(
        database,
        embeddings,
        model=Memory,
        stale=stale,
        index=collection(user_id),
        user_id=user_id,
        clock=clock,
    )
