"""The turn runner: the one function that takes an inbox row to a reply.

The webhook calls it today; the worker and `sms-assistant chat` call the same code, so every text
takes the same path: claim the row, find the user, run the graph under a per-conversation lock,
record what was said and how it went.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.ext.asyncio import AsyncSession

from graph.context import Context
from graph.errors import UserNotFound
from graph.graph import builder
from graph.model import load_chat_model, planner_name
from graph.state import InputState
from stores import inbox, messages, users
from stores.clock import Clock
from stores.db import Database
from stores.interactions import record_interaction
from stores.phones import mask_phone
from stores.settings import Settings

log = logging.getLogger(__name__)

REGISTRATION_SENT = "registration_sent"


@dataclass(frozen=True)
class TurnResult:
    """What to answer: `reply` is None when nothing should be sent."""

    reply: str | None
    outcome: str


class TurnFailed(Exception):
    """The turn could not produce a reply; `cause` says which friendly message fits."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(type(cause).__name__)
        self.cause = cause


class TurnRunner:
    def __init__(
        self,
        *,
        database: Database,
        checkpointer: BaseCheckpointSaver[str],
        settings: Settings,
        clock: Clock,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock
        self.chat_model = chat_model
        self.graph = builder.compile(checkpointer=checkpointer)
        # One turn at a time per conversation, or two turns would fork the checkpoint chain.
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def _lock(self, conversation_id: int) -> asyncio.Lock:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        return lock

    async def run(self, inbox_id: int) -> TurnResult:
        """Answer one inbox row. Raises TurnFailed (details logged) when the agent fails."""
        async with self.database.session() as session:
            claimed = await inbox.claim(session, inbox_id=inbox_id, clock=self.clock)
            row = await inbox.get(session, inbox_id=inbox_id)
        if row is None:
            raise LookupError(f"inbox row {inbox_id} does not exist")
        if not claimed:
            return TurnResult(
                reply=row.reply if row.state == inbox.DONE else None, outcome="duplicate"
            )

        async with self.database.session() as session:
            user = await users.get_user_by_phone(session, phone=row.from_number)
            if user is None:
                result = await self._unknown_sender(session, row.from_number)
                await inbox.finish(
                    session,
                    inbox_id=inbox_id,
                    outcome=result.outcome,
                    reply=result.reply,
                    clock=self.clock,
                )
                return result
            if user.status != "active":
                result = TurnResult(reply=None, outcome=f"ignored_{user.status}")
                await inbox.finish(
                    session, inbox_id=inbox_id, outcome=result.outcome, clock=self.clock
                )
                return result
            conversation = await users.get_or_create_conversation(
                session, user_id=user.id, channel=row.channel, clock=self.clock
            )
            await messages.record_message(
                session,
                conversation_id=conversation.id,
                direction="inbound",
                body=row.body,
                status="received",
                twilio_sid=row.message_sid,
                clock=self.clock,
            )
        user_id, conversation_id = user.id, conversation.id

        started = time.perf_counter()
        try:
            async with self._lock(conversation_id):
                final = await self.graph.ainvoke(
                    InputState(messages=[HumanMessage(content=row.body, id=row.message_sid)]),
                    config={"configurable": {"thread_id": str(conversation_id)}},
                    context=Context(
                        user_id=user_id,
                        conversation_id=conversation_id,
                        channel=row.channel,
                        message_sid=row.message_sid,
                        clock=self.clock,
                        database=self.database,
                        chat_model=self.chat_model,
                        max_plan_steps=self.settings.max_plan_steps,
                        history_max_messages=self.settings.history_max_messages,
                    ),
                )
        except Exception as error:
            log.error(
                "turn failed: %s for MessageSid=%s from %s",
                type(error).__name__,
                row.message_sid,
                mask_phone(row.from_number),
            )
            await self._record_failure(
                inbox_id, row.message_sid, user_id, conversation_id, error, started
            )
            raise TurnFailed(error) from error

        reply = str(final.get("reply") or "")
        async with self.database.session() as session:
            await messages.record_message(
                session,
                conversation_id=conversation_id,
                direction="outbound",
                body=reply,
                status="replied",
                clock=self.clock,
            )
            await inbox.finish(
                session, inbox_id=inbox_id, outcome="replied", reply=reply, clock=self.clock
            )
        return TurnResult(reply=reply, outcome="replied")

    async def _unknown_sender(self, session: AsyncSession, phone: str) -> TurnResult:
        log.info("inbound from unregistered number %s", mask_phone(phone))
        if self.settings.unknown_sender_policy == "silent":
            return TurnResult(reply=None, outcome="ignored_unknown")
        already = await inbox.count_outcomes_since(
            session,
            from_number=phone,
            outcome=REGISTRATION_SENT,
            since_hours=24,
            clock=self.clock,
        )
        if already:
            return TurnResult(reply=None, outcome="ignored_unknown")
        return TurnResult(reply=self.settings.unknown_sender_message, outcome=REGISTRATION_SENT)

    async def _record_failure(
        self,
        inbox_id: int,
        message_sid: str,
        user_id: int,
        conversation_id: int,
        error: BaseException,
        started: float,
    ) -> None:
        error_class = type(error).__name__
        async with self.database.session() as session:
            await inbox.finish(
                session,
                inbox_id=inbox_id,
                outcome="error",
                error_class=error_class,
                clock=self.clock,
            )
            await record_interaction(
                session,
                user_id=user_id if not isinstance(error, UserNotFound) else None,
                conversation_id=conversation_id if not isinstance(error, UserNotFound) else None,
                message_sid=message_sid,
                planner=planner_name(self.chat_model or load_chat_model()),
                nodes=[],
                tools=[],
                steps=0,
                latency_ms=int((time.perf_counter() - started) * 1000),
                outcome="error",
                error_class=error_class,
                clock=self.clock,
            )
