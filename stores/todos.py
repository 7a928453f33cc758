"""Per-user todo lists: add, list, tick off, clear what is done."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from stores.clock import Clock
from stores.models import Todo


async def add_todo(session: AsyncSession, *, user_id: int, text: str, clock: Clock) -> Todo:
    todo = Todo(user_id=user_id, text=text, done=False, created_at=clock.now())
    session.add(todo)
    await session.flush()
    return todo


async def list_todos(session: AsyncSession, *, user_id: int, limit: int = 50) -> list[Todo]:
    """Open items first (oldest first), then done ones."""
    query = (
        select(Todo)
        .where(Todo.user_id == user_id)
        .order_by(Todo.done, Todo.created_at, Todo.id)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def find_open(session: AsyncSession, *, user_id: int, text: str) -> list[Todo]:
    """Open items whose text contains `text` (case-insensitive). Matched here, not in SQL, so
    it keeps working when item text is encrypted at rest."""
    query = (
        select(Todo)
        .where(Todo.user_id == user_id, Todo.done.is_(False))
        .order_by(Todo.created_at, Todo.id)
    )
    wanted = text.casefold()
    return [t for t in (await session.execute(query)).scalars() if wanted in t.text.casefold()]


async def mark_done(session: AsyncSession, *, todo: Todo, clock: Clock) -> None:
    todo.done, todo.done_at = True, clock.now()
    await session.flush()


async def clear_done(session: AsyncSession, *, user_id: int) -> int:
    result = await session.execute(delete(Todo).where(Todo.user_id == user_id, Todo.done.is_(True)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def remove(session: AsyncSession, *, todo: Todo) -> None:
    await session.delete(todo)
    await session.flush()
