"""Users and their conversations."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from stores.checkpointer import open_checkpointer
from stores.clock import Clock
from stores.db import Database
from stores.models import Conversation, User
from stores.phones import normalise_phone

USER_STATUSES = ("active", "opted_out", "blocked", "invalid_number")


class UserExists(ValueError):
    pass


async def add_user(
    session: AsyncSession, *, phone: str, name: str, timezone: str, clock: Clock
) -> User:
    """Register a user. `phone` must already be E.164 (see stores.phones.normalise_phone)."""
    if await get_user_by_phone(session, phone=phone) is not None:
        raise UserExists(f"{phone} is already registered")
    now = clock.now()
    user = User(
        phone=normalise_phone(phone),
        name=name,
        timezone=timezone,
        status="active",
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def get_user_by_phone(session: AsyncSession, *, phone: str) -> User | None:
    return (await session.execute(select(User).where(User.phone == phone))).scalar_one_or_none()


async def statuses_by_phone(session: AsyncSession, *, phones: set[str]) -> dict[str, str]:
    """The status of each registered number among `phones` (unregistered ones are absent)."""
    query = select(User.phone, User.status).where(User.phone.in_(phones))
    return {phone: status for phone, status in (await session.execute(query)).all()}


async def get_user(session: AsyncSession, *, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def list_users(session: AsyncSession) -> list[User]:
    return list((await session.execute(select(User).order_by(User.id))).scalars())


async def remove_user(session: AsyncSession, *, phone: str) -> bool:
    """Delete the user and, through ON DELETE CASCADE, their conversations, messages and notes."""
    result = await session.execute(delete(User).where(User.phone == phone))
    return (result.rowcount or 0) > 0  # type: ignore[attr-defined]


async def set_status(session: AsyncSession, *, phone: str, status: str, clock: Clock) -> bool:
    if status not in USER_STATUSES:
        raise ValueError(f"unknown user status {status!r}")
    user = await get_user_by_phone(session, phone=phone)
    if user is None:
        return False
    user.status, user.updated_at = status, clock.now()
    await session.flush()
    return True


async def remove_user_and_history(database: Database, *, phone: str) -> bool:
    """Remove the user's rows and their conversations' LangGraph checkpoints.

    Checkpoints live outside the ON DELETE CASCADE; left behind, a later user whose conversation
    got the same id (SQLite reuses rowids) would inherit this person's history.
    """
    async with database.session() as session:
        threads = [
            str(conversation_id)
            for conversation_id in await session.scalars(
                select(Conversation.id)
                .join(User, Conversation.user_id == User.id)
                .where(User.phone == phone)
            )
        ]
        removed = await remove_user(session, phone=phone)
    if threads:
        async with open_checkpointer(database.url) as checkpointer:
            for thread in threads:
                await checkpointer.adelete_thread(thread)
    return removed


async def get_or_create_conversation(
    session: AsyncSession, *, user_id: int, channel: str, clock: Clock
) -> Conversation:
    query = select(Conversation).where(
        Conversation.user_id == user_id, Conversation.channel == channel
    )
    conversation = (await session.execute(query)).scalar_one_or_none()
    if conversation is None:
        conversation = Conversation(user_id=user_id, channel=channel, created_at=clock.now())
        session.add(conversation)
        await session.flush()
    return conversation
