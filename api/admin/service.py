"""What the admin pages and the admin API do, in one place: queries and the few changes.

Raises AdminError (status + message) for anything the operator must fix; never lets a database
error about their input become a traceback.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import case, func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin import schemas
from api.admin.responses import AdminError
from messaging import metrics
from stores import messages, outbox, users
from stores.clock import Clock
from stores.db import Database
from stores.models import (
    Conversation,
    Interaction,
    Memory,
    Message,
    OutboxItem,
    Reminder,
    User,
)
from stores.phones import InvalidPhoneNumber, normalise_phone
from stores.settings import Settings

KNOWN_TABLES = (
    "users",
    "conversations",
    "messages",
    "inbox",
    "outbox",
    "interactions",
    "notes",
    "reminders",
    "memories",
    "summaries",
    "kb_documents",
    "kb_chunks",
)
"""What the admin reports on; tables that later issues add show up as present once migrated."""


def user_out(user: User) -> schemas.UserOut:
    return schemas.UserOut.model_validate(user, from_attributes=True)


def check_timezone(zone: str) -> str:
    zone = zone.strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder: OSError
        raise AdminError(
            422, f"timezone: unknown IANA timezone {zone!r} (e.g. America/New_York)"
        ) from None
    return zone


def check_phone(raw: str, settings: Settings) -> str:
    try:
        return normalise_phone(raw, default_region=settings.default_region)
    except InvalidPhoneNumber as error:
        raise AdminError(422, f"phone: {error}") from None


def check_name(raw: str) -> str:
    name = raw.strip()
    if not name or len(name) > 100:
        raise AdminError(422, "name: must be 1 to 100 characters")
    return name


async def present_tables(database: Database) -> set[str]:
    async with database.engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return set(names)


async def table_report(database: Database) -> list[schemas.TableInfo]:
    present = await present_tables(database)
    report = []
    async with database.session() as session:
        for name in KNOWN_TABLES:
            rows = None
            if name in present:  # names come from the fixed list above, never from a request
                rows = int(
                    (await session.execute(text(f'SELECT count(*) FROM "{name}"'))).scalar_one()
                )
            report.append(schemas.TableInfo(name=name, present=name in present, rows=rows))
    return report


async def list_users(
    session: AsyncSession, *, limit: int | None = None, offset: int = 0
) -> list[schemas.UserOut]:
    query = select(User).order_by(User.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [user_out(user) for user in (await session.execute(query)).scalars()]


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await users.get_user(session, user_id=user_id)
    if user is None:
        raise AdminError(404, f"no user with id {user_id}")
    return user


async def add_user(
    session: AsyncSession, new: schemas.NewUser, *, settings: Settings, clock: Clock
) -> schemas.UserOut:
    phone = check_phone(new.phone, settings)
    name = check_name(new.name)
    zone = check_timezone(new.timezone if new.timezone else settings.default_timezone)
    try:
        user = await users.add_user(session, phone=phone, name=name, timezone=zone, clock=clock)
    except users.UserExists as error:
        raise AdminError(409, str(error)) from None
    return user_out(user)


async def change_user(
    session: AsyncSession, user_id: int, change: schemas.UserChange, *, clock: Clock
) -> schemas.UserOut:
    user = await get_user(session, user_id)
    if change.name is not None:
        user.name = check_name(change.name)
    if change.timezone is not None:
        user.timezone = check_timezone(change.timezone)
    if change.status is not None and change.status != user.status:
        if user.status == "opted_out":
            # The texter said STOP; carriers require that only they can undo it (START).
            raise AdminError(
                409, "this user opted out; only they can opt back in, by texting START"
            )
        if change.status == "opted_out":
            metrics.record_opt_out("admin")
        user.status = change.status
    user.updated_at = clock.now()
    await session.flush()
    return user_out(user)


async def list_conversations(
    session: AsyncSession, *, user_id: int | None = None, limit: int = 100
) -> list[schemas.ConversationOut]:
    stats = (
        select(
            Message.conversation_id.label("conversation_id"),
            func.count(Message.id).label("messages"),
            func.max(Message.created_at).label("last_at"),
        )
        .group_by(Message.conversation_id)
        .subquery()
    )
    query = (
        select(Conversation, User, stats.c.messages, stats.c.last_at)
        .join(User, Conversation.user_id == User.id)
        .outerjoin(stats, stats.c.conversation_id == Conversation.id)
        .order_by(stats.c.last_at.desc().nulls_last(), Conversation.id.desc())
        .limit(limit)
    )
    if user_id is not None:
        query = query.where(Conversation.user_id == user_id)
    rows = (await session.execute(query)).all()
    return [
        schemas.ConversationOut(
            id=conversation.id,
            user_id=user.id,
            user_name=user.name,
            phone=user.phone,
            channel=conversation.channel,
            messages=int(count or 0),
            last_message_at=_aware(last_at),
        )
        for conversation, user, count, last_at in rows
    ]


def _aware(moment: datetime | str | None) -> datetime | None:
    """SQLite hands aggregates and bare-table columns back naive (or as text): make them UTC."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


async def get_conversation(session: AsyncSession, conversation_id: int) -> Conversation:
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise AdminError(404, f"no conversation with id {conversation_id}")
    return conversation


async def conversation_messages(
    session: AsyncSession, conversation_id: int, *, limit: int = 50
) -> list[schemas.MessageOut]:
    await get_conversation(session, conversation_id)
    rows = await messages.recent_messages(session, conversation_id=conversation_id, limit=limit)
    return [schemas.MessageOut.model_validate(row, from_attributes=True) for row in rows]


PAGE_SIZE = 50
"""Rows per page in the admin's long lists (runs, users, the outbox)."""


async def recent_runs(
    session: AsyncSession, *, user_id: int | None = None, limit: int = 50, offset: int = 0
) -> list[schemas.RunOut]:
    """Newest first, each with the name and timezone of whom it was for."""
    query = (
        select(Interaction, User.name, User.timezone)
        .outerjoin(User, Interaction.user_id == User.id)
        .order_by(Interaction.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if user_id is not None:
        query = query.where(Interaction.user_id == user_id)
    return [
        schemas.RunOut.model_validate(run, from_attributes=True).model_copy(
            update={"user_name": name, "timezone": zone}
        )
        for run, name, zone in (await session.execute(query)).all()
    ]


async def recent_outbox(
    database: Database,
    *,
    to_number: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[schemas.OutboxOut]:
    """Newest first, decrypted (an operator reads what was sent, never ciphertext), with the
    recipient's name and timezone and a state a person reads correctly."""
    query = (
        select(OutboxItem, User.name, User.timezone)
        .outerjoin(User, OutboxItem.user_id == User.id)
        .order_by(OutboxItem.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if to_number is not None:
        query = query.where(OutboxItem.to_number == to_number)
    async with database.session() as session:
        rows = (await session.execute(query)).all()
    return [
        schemas.OutboxOut(
            id=item.id,
            kind=item.kind,
            to_number=item.to_number,
            user_id=item.user_id,
            user_name=name,
            timezone=zone,
            body=item.body,
            state=item.state,
            state_text=outbox.STATE_TEXT.get(item.state, item.state),
            attempts=item.attempts,
            twilio_sid=item.twilio_sid,
            twilio_status=item.twilio_status,
            error_code=item.error_code,
            created_at=item.created_at,
        )
        for item, name, zone in rows
    ]


async def people_data(
    session: AsyncSession, *, limit: int = PAGE_SIZE, offset: int = 0
) -> list[schemas.PersonData]:
    """Per user: their scheduled reminders (how many, the next one, how many held) and current
    memories, for the data page; only people who have any."""
    reminders = (
        select(
            Reminder.user_id.label("user_id"),
            func.count(Reminder.id).label("reminders"),
            func.min(Reminder.occurs_at).label("next_at"),
            func.sum(case((Reminder.due_at > Reminder.occurs_at, 1), else_=0)).label("held"),
        )
        .where(Reminder.state == "scheduled")
        .group_by(Reminder.user_id)
        .subquery()
    )
    memories = (
        select(Memory.user_id.label("user_id"), func.count(Memory.id).label("memories"))
        .where(Memory.superseded_by_id.is_(None))
        .group_by(Memory.user_id)
        .subquery()
    )
    query = (
        select(
            User, reminders.c.reminders, reminders.c.next_at, reminders.c.held, memories.c.memories
        )
        .outerjoin(reminders, reminders.c.user_id == User.id)
        .outerjoin(memories, memories.c.user_id == User.id)
        .where((reminders.c.reminders > 0) | (memories.c.memories > 0))
        .order_by(User.id)
        .limit(limit)
        .offset(offset)
    )
    return [
        schemas.PersonData(
            user_id=user.id,
            name=user.name,
            timezone=user.timezone,
            reminders=int(count or 0),
            next_reminder_at=_aware(next_at),
            held=int(held or 0),
            memories=int(facts or 0),
        )
        for user, count, next_at, held, facts in (await session.execute(query)).all()
    ]
