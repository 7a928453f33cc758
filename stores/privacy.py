"""A person's data, all of it: export it as JSON, or erase it everywhere.

Erasing removes the user row (and through ON DELETE CASCADE their conversations, messages,
notes, todos, reminders, memories with their vectors, summaries, documents, media and runs),
their LangGraph checkpoints, and the rows keyed by phone number rather than by user: inbox,
outbox and MORE continuations. Consent events are kept: they are the proof that an opt-out was
honoured, and carriers may ask for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from stores import users
from stores.db import Database
from stores.models import (
    Base,
    ConsentEvent,
    Conversation,
    InboxItem,
    Message,
    OutboxItem,
    ReplyContinuation,
    User,
)

EXPORTED_TABLES = (
    "notes",
    "todos",
    "reminders",
    "memories",
    "kb_documents",
    "media_items",
    "user_preferences",
)
"""Tables with a user_id column whose rows belong in a person's export."""
SKIPPED_COLUMNS = {"embedding", "vector", "source_key", "user_id"}


async def purge(database: Database, *, phone: str, keep_inbox_id: int | None = None) -> bool:
    """Erase the person with this number everywhere. False when nobody has it.

    `keep_inbox_id` spares the inbox row of a "delete my account" text being answered right
    now, so its goodbye can still leave as TwiML (it holds only that exchange, encrypted).
    """
    removed = await users.remove_user_and_history(database, phone=phone)
    async with database.session() as session:
        await session.execute(
            delete(InboxItem).where(InboxItem.from_number == phone, InboxItem.id != keep_inbox_id)
            if keep_inbox_id is not None
            else delete(InboxItem).where(InboxItem.from_number == phone)
        )
        await session.execute(delete(OutboxItem).where(OutboxItem.to_number == phone))
        await session.execute(delete(ReplyContinuation).where(ReplyContinuation.phone == phone))
    return removed


async def export(database: Database, *, phone: str) -> dict[str, Any] | None:
    """Everything stored about the person, decrypted, as JSON-ready data (None: unknown)."""
    async with database.session() as session:
        user = await users.get_user_by_phone(session, phone=phone)
        if user is None:
            return None
        data: dict[str, Any] = {"user": _row(user, skip={"id"})}
        conversations = (
            (await session.execute(select(Conversation).where(Conversation.user_id == user.id)))
            .scalars()
            .all()
        )
        data["conversations"] = [
            {
                "channel": conversation.channel,
                "messages": [
                    _row(m, skip={"id", "conversation_id"})
                    for m in await _messages(session, conversation.id)
                ],
            }
            for conversation in conversations
        ]
        for name in EXPORTED_TABLES:
            table = Base.metadata.tables.get(name)
            if table is None or "user_id" not in table.c:
                continue
            model = _model_for(name)
            rows = await session.execute(select(model).where(table.c.user_id == user.id))
            data[name] = [_row(r, skip=SKIPPED_COLUMNS) for r in rows.scalars()]
        consent = await session.execute(select(ConsentEvent).where(ConsentEvent.phone == phone))
        data["consent_events"] = [_row(e, skip={"id", "phone"}) for e in consent.scalars()]
    return data


async def _messages(session: AsyncSession, conversation_id: int) -> list[Message]:
    query = select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
    return list((await session.execute(query)).scalars())


def _model_for(table_name: str) -> type[Base]:
    for mapper in Base.registry.mappers:
        if mapper.class_.__tablename__ == table_name:
            return mapper.class_
    raise LookupError(table_name)


def _row(instance: Base, *, skip: set[str]) -> dict[str, Any]:
    values = {}
    for column in instance.__table__.columns:
        if column.key in skip:
            continue
        value = getattr(instance, column.key)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, bytes):
            continue
        values[column.key] = value
    return values


__all__ = ["User", "export", "purge"]
