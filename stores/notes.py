"""Per-user notes. Numbers are per user, so "delete note 3" never reaches another user's data."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.models import Note


async def add_note(
    session: AsyncSession, *, user_id: int, text: str, clock: Clock, source_key: str | None = None
) -> Note:
    """Save a note. With `source_key`, saving again (a resumed turn) returns the first note."""
    if source_key is not None:
        query = select(Note).where(Note.user_id == user_id, Note.source_key == source_key)
        existing = (await session.execute(query)).scalar_one_or_none()
        if existing is not None:
            return existing
    highest = select(func.coalesce(func.max(Note.number), 0)).where(Note.user_id == user_id)
    number = int((await session.execute(highest)).scalar_one()) + 1
    note = Note(
        user_id=user_id, number=number, text=text, source_key=source_key, created_at=clock.now()
    )
    session.add(note)
    await session.flush()
    return note


async def list_notes(session: AsyncSession, *, user_id: int, limit: int = 50) -> list[Note]:
    query = select(Note).where(Note.user_id == user_id).order_by(Note.number).limit(limit)
    return list((await session.execute(query)).scalars())


async def count_notes(session: AsyncSession, *, user_id: int) -> int:
    query = select(func.count(Note.id)).where(Note.user_id == user_id)
    return int((await session.execute(query)).scalar_one())


async def find_notes(
    session: AsyncSession, *, user_id: int, words: list[str], limit: int = 10
) -> list[Note]:
    """Notes containing every word (case-insensitive), newest first.

    Note text is encrypted at rest, so the match runs here on decrypted text, not in SQL.
    """
    query = select(Note).where(Note.user_id == user_id).order_by(Note.number.desc())
    wanted = [word.casefold() for word in words]
    found = []
    for note in (await session.execute(query)).scalars():
        text = note.text.casefold()
        if all(word in text for word in wanted):
            found.append(note)
            if len(found) == limit:
                break
    return found


async def get_note(session: AsyncSession, *, user_id: int, number: int) -> Note | None:
    query = select(Note).where(Note.user_id == user_id, Note.number == number)
    return (await session.execute(query)).scalar_one_or_none()


async def delete_note(session: AsyncSession, *, user_id: int, number: int) -> Note | None:
    note = await get_note(session, user_id=user_id, number=number)
    if note is not None:
        await session.execute(delete(Note).where(Note.id == note.id))
    return note


async def newest_notes(session: AsyncSession, *, user_id: int, limit: int) -> list[Note]:
    query = select(Note).where(Note.user_id == user_id).order_by(Note.number.desc()).limit(limit)
    return list((await session.execute(query)).scalars())
