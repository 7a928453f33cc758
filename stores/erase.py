"""Bulk erasure a user asked for (after confirming): all notes, everything remembered."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.db import Database
from stores.indexes import INDEXES, bump, database_key
from stores.memories import collection
from stores.models import ConversationSummary, Memory, Note


async def count_memories_all(session: AsyncSession, *, user_id: int) -> int:
    """Current facts (what "forget everything" is about; their history goes with them)."""
    query = select(func.count(Memory.id)).where(
        Memory.user_id == user_id, Memory.superseded_by_id.is_(None)
    )
    return int((await session.execute(query)).scalar_one())


async def delete_all_notes(session: AsyncSession, *, user_id: int) -> int:
    result = await session.execute(delete(Note).where(Note.user_id == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def forget_everything(database: Database, *, user_id: int, clock: Clock) -> int:
    """Delete every memory (and its history) and every conversation summary of the user,
    keeping this process's FAISS copy in step. Returns how many current facts went."""
    async with database.session() as session:
        current = list(
            (
                await session.execute(
                    select(Memory.id).where(
                        Memory.user_id == user_id, Memory.superseded_by_id.is_(None)
                    )
                )
            ).scalars()
        )
        stamp = await bump(session, collection(user_id), user_id=user_id, clock=clock)
        await session.execute(
            update(Memory).where(Memory.user_id == user_id).values(superseded_by_id=None)
        )
        await session.execute(delete(Memory).where(Memory.user_id == user_id))
        await session.execute(
            delete(ConversationSummary).where(ConversationSummary.user_id == user_id)
        )
        db = database_key(session)
    await INDEXES.after_write(db, collection(user_id), stamp, remove=current)
    return len(current)
