"""The turn runner: the one function that takes an inbox row to a reply on its way out.

The worker (inside `serve`, or `sms-assistant worker`) and `sms-assistant chat` call the same
code, so every text takes the same path: find the user, run the graph (resuming from its
checkpoint when an earlier attempt died mid-turn), then hand the reply to exactly one of TwiML
(a webhook is still waiting) or the outbox (it is not), in the same transaction that marks the
row done.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.ext.asyncio import AsyncSession

from graph.context import Context
from graph.errors import UserNotFound, describe
from graph.graph import builder
from graph.limited_model import limited_chat_model
from graph.model import load_chat_model, planner_for
from graph.nodes.plan import recursion_limit
from graph.state import InputState
from messaging import after_reply, approvals, keywords, limits, replies, segments
from messaging import media as mms
from messaging.delivery import take_inline
from messaging.keywords import KeywordContext
from messaging.notify import ReplyNotifier
from messaging.turns import PhasedGraph
from stores import consent, continuations, inbox, messages, outbox, privacy, reminders, users
from stores import media as media_store
from stores.clock import Clock
from stores.db import Database
from stores.embeddings import TextEmbeddings, shared_embeddings
from stores.interactions import record_interaction
from stores.models import InboxItem
from stores.outcomes import Outcome
from stores.phones import mask_phone
from stores.redact import described
from stores.settings import Settings

log = logging.getLogger(__name__)

MAX_TURN_ATTEMPTS = 3


@dataclass(frozen=True)
class TurnResult:
    """What the turn answered (`reply` None: nothing to send) and how it left."""

    reply: str | None
    outcome: Outcome
    delivery: str = inbox.VIA_NONE


@dataclass(frozen=True)
class _Answer:
    reply: str | None
    outcome: Outcome
    user_id: int | None = None
    conversation_id: int | None = None
    error_class: str | None = None
    defer: datetime | None = None
    """Not answered yet: back in the queue until then (messaging.limits)."""


class TurnRunner:
    def __init__(
        self,
        *,
        database: Database,
        checkpointer: BaseCheckpointSaver[str],
        settings: Settings,
        clock: Clock,
        chat_model: BaseChatModel | None = None,
        embeddings: TextEmbeddings | None = None,
        notifier: ReplyNotifier | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock
        if chat_model is None and settings.llm_configured:
            # Built now, before any text: importing langchain_openai takes seconds of blocking
            # work that would otherwise stall the event loop (and live webhooks) on the first turn.
            load_chat_model(settings)
        self.chat_model = limited_chat_model(chat_model, settings)
        self.embeddings = embeddings or shared_embeddings(settings)
        self.notifier = notifier or ReplyNotifier()
        self.graph = PhasedGraph(
            builder.compile(
                checkpointer=checkpointer, interrupt_before=after_reply.INTERRUPT_BEFORE
            )
        )

    async def run(self, inbox_id: int) -> TurnResult:
        """Claim and answer one row (for callers that own the conversation, like `chat`)."""
        async with self.database.session() as session:
            claimed = await inbox.claim(session, inbox_id=inbox_id, clock=self.clock)
            row = await inbox.get(session, inbox_id=inbox_id)
        if row is None:
            raise LookupError(f"inbox row {inbox_id} does not exist")
        if not claimed:
            reply = row.reply if row.delivery == inbox.VIA_TWIML else None
            return TurnResult(reply=reply, outcome=Outcome.DUPLICATE, delivery=row.delivery or "")
        result = await self.run_claimed(inbox_id)
        if result.delivery != inbox.UNDECIDED:
            return result
        async with self.database.session() as session:  # the caller is the one waiting
            inline = await take_inline(session, inbox_id=inbox_id, clock=self.clock)
        return replace(result, delivery=inbox.VIA_TWIML if inline else inbox.VIA_OUTBOX)

    async def run_claimed(self, inbox_id: int) -> TurnResult:
        """Answer a row this caller has claimed (state processing, conversation lock held)."""
        async with self.database.session() as session:
            row = await inbox.get(session, inbox_id=inbox_id)
        if row is None or row.state != inbox.PROCESSING:
            raise LookupError(f"inbox row {inbox_id} is not claimed")
        if row.attempts > MAX_TURN_ATTEMPTS:
            # It crashed the worker every time: answer with an apology rather than loop forever.
            log.error(
                "giving up on MessageSid=%s after %d attempts", row.message_sid, row.attempts - 1
            )
            answer = _Answer(
                reply=replies.AGENT_ERROR, outcome=Outcome.ERROR, error_class="TooManyAttempts"
            )
        else:
            answer = await self._answer(row)
        if answer.defer is not None:
            async with self.database.session() as session:
                await inbox.defer(session, inbox_id=row.id, until=answer.defer, clock=self.clock)
            return TurnResult(reply=None, outcome=answer.outcome, delivery=inbox.UNDECIDED)
        delivery = await self._deliver(row, answer)
        if answer.outcome == approvals.ACCOUNT_DELETED:
            # After the goodbye is recorded: it leaves as TwiML (no model call after YES, so
            # well within the deadline); a goodbye that had to wait for REST goes with the rows.
            await privacy.purge(self.database, phone=row.from_number, keep_inbox_id=row.id)
            log.info("account of %s deleted at their request", mask_phone(row.from_number))
        self.notifier.notify(inbox_id)
        if answer.user_id and answer.conversation_id and answer.outcome != Outcome.ACCOUNT_DELETED:
            context = self._context(row, answer.user_id, answer.conversation_id)
            config = after_reply.turn_config(answer.conversation_id)
            await after_reply.run_pending(self.graph, config, context)  # the reply has left
        return TurnResult(reply=answer.reply, outcome=answer.outcome, delivery=delivery)

    async def _answer(self, row: InboxItem) -> _Answer:
        async with self.database.session() as session:
            user = await users.get_user_by_phone(session, phone=row.from_number)
            routed = await keywords.route(
                KeywordContext(session, row, user, self.clock, self.settings)
            )
            if routed is not None:
                conversation_id = None
                if user is not None:
                    conversation = await users.get_or_create_conversation(
                        session, user_id=user.id, channel=row.channel, clock=self.clock
                    )
                    conversation_id = conversation.id
                    await self._record_inbound(session, row, conversation_id)
                return _Answer(
                    reply=routed.reply,
                    outcome=routed.outcome,
                    user_id=user.id if user else None,
                    conversation_id=conversation_id,
                )
            if user is None:
                return await self._unknown_sender(session, row.from_number)
            if user.status != "active":
                return _Answer(reply=None, outcome=Outcome.ignored(user.status))
            limited = await limits.check(
                session, row=row, user_id=user.id, settings=self.settings, clock=self.clock
            )
            if limited is not None and limited.defer_until is not None:
                return _Answer(reply=None, outcome=limited.outcome, defer=limited.defer_until)
            conversation = await users.get_or_create_conversation(
                session, user_id=user.id, channel=row.channel, clock=self.clock
            )
            await self._record_inbound(session, row, conversation.id)
        if limited is not None:
            return _Answer(
                reply=limited.reply,
                outcome=limited.outcome,
                user_id=user.id,
                conversation_id=conversation.id,
            )
        saved_media = await self._save_media(row, user.id) if row.num_media else None
        if saved_media is not None and not row.body.strip():
            return _Answer(
                reply=saved_media,
                outcome=Outcome.MEDIA_SAVED,
                user_id=user.id,
                conversation_id=conversation.id,
            )
        started = time.perf_counter()
        try:
            final = await self._run_graph(row, user.id, conversation.id)
        except Exception as error:
            log.error(
                "turn failed for MessageSid=%s from %s: %s (%s)",
                row.message_sid,
                mask_phone(row.from_number),
                describe(error),  # with a server's status code and message
                described(error),  # where it happened
            )
            await self._record_failure(row.message_sid, user.id, conversation.id, error, started)
            return _Answer(
                reply=replies.friendly(error),
                outcome=Outcome.ERROR,
                user_id=user.id,
                conversation_id=conversation.id,
                error_class=type(error).__name__,
            )
        reply = str(final.get("reply") or "") or approvals.question(final) or None
        if saved_media is not None:
            reply = f"{saved_media}\n{reply}" if reply else saved_media
        deleted = approvals.deletes_account(final)
        outcome = Outcome.ACCOUNT_DELETED if deleted else Outcome.REPLIED
        return _Answer(
            reply=reply, outcome=outcome, user_id=user.id, conversation_id=conversation.id
        )

    async def _save_media(self, row: InboxItem, user_id: int) -> str:
        """File the text's MMS attachments in the sender's knowledge base (documents) or as
        media; the reply says what was kept and what was refused."""
        async with self.database.session() as session:
            attachments = await media_store.inbound_media(session, inbox_id=row.id)
        return await mms.save_inbound_media(
            attachments,
            user_id=user_id,
            message_sid=row.message_sid,
            database=self.database,
            embeddings=self.embeddings,
            settings=self.settings,
            clock=self.clock,
        )

    def _context(self, row: InboxItem, user_id: int, conversation_id: int) -> Context:
        return Context(
            user_id=user_id,
            conversation_id=conversation_id,
            channel=row.channel,
            message_sid=row.message_sid,
            clock=self.clock,
            database=self.database,
            chat_model=self.chat_model,
            settings=self.settings,
            embeddings=self.embeddings,
            turn_deadline=time.monotonic() + self.settings.turn_budget_seconds,
        )

    async def _run_graph(self, row: InboxItem, user_id: int, conversation_id: int) -> Any:
        config: Any = {
            **after_reply.turn_config(conversation_id),
            "recursion_limit": recursion_limit(self.settings.max_plan_steps),
        }
        context = self._context(row, user_id, conversation_id)
        if row.attempts > 1:
            # An earlier attempt died. If it got as far as the graph, continue from its last
            # checkpoint (LangGraph keeps the writes of finished steps) instead of starting
            # over, so no tool runs twice and a finished turn is not answered twice.
            snapshot = await self.graph.aget_state(config)
            values = snapshot.values or {}
            turn_ids = [m.id for m in values.get("messages", []) if isinstance(m, HumanMessage)]
            if turn_ids and turn_ids[-1] == row.message_sid:
                log.info("resuming MessageSid=%s from its checkpoint", row.message_sid)
                if after_reply.NODE in (snapshot.next or ()):
                    return values  # answered; its after-reply work runs once this is delivered
                return await self.graph.resume(config, context=context)
        await after_reply.run_pending(self.graph, config, context)  # the last turn's, if it died
        cancelled = ""
        asked = await approvals.pending(self.graph, config)
        if asked is not None:
            settled = await approvals.settle(
                self.graph, config, context, text=row.body, asked=asked
            )
            if approvals.answers(row.body):
                return settled
            cancelled = str(settled.get("reply") or "")  # then handle the new text as usual
        elif approvals.is_stray_code(row.body):
            return {"reply": approvals.NOTHING_PENDING}  # never a model's guess at "YES 4821"
        message = HumanMessage(content=row.body, id=row.message_sid)
        final = await self.graph.ainvoke(InputState(messages=[message]), config, context=context)
        reply = approvals.question(final) or str(final.get("reply") or "")
        notices = await self._missed_notices(user_id)
        return {**final, "reply": "\n".join(p for p in (*notices, cancelled, reply) if p)}

    async def _missed_notices(self, user_id: int) -> list[str]:
        """Reminders missed while the service was down, told in the user's next message."""
        async with self.database.session() as session:
            return await reminders.take_missed_notices(session, user_id=user_id)

    async def _deliver(self, row: InboxItem, answer: _Answer) -> str:
        async with self.database.session() as session:
            reply_segments = None
            if answer.reply is not None:
                # Cut to the segment budget; the rest waits for MORE (and a new reply
                # replaces whatever was still waiting).
                page = segments.paginate(answer.reply, self.settings.max_reply_segments)
                await continuations.save(
                    session,
                    phone=row.from_number,
                    channel=row.channel,
                    remaining=page.rest,
                    clock=self.clock,
                )
                answer = replace(answer, reply=page.text)
                reply_segments = segments.segments(page.text)
            await inbox.finish(  # first: it locks the row the webhook decides on
                session,
                inbox_id=row.id,
                outcome=answer.outcome,
                reply=answer.reply,
                error_class=answer.error_class,
                clock=self.clock,
            )
            if answer.reply is None:
                return inbox.VIA_NONE
            # The reply always goes into the outbox, held there until someone decides (see
            # messaging.delivery): a live webhook takes it inline, anyone else releases it.
            delivery = await inbox.delivery_of(session, inbox_id=row.id) or inbox.UNDECIDED
            message_id = None
            if answer.conversation_id is not None:
                message = await messages.record_message(
                    session,
                    conversation_id=answer.conversation_id,
                    direction="outbound",
                    body=answer.reply,
                    clock=self.clock,
                    status="queued",
                    segments=reply_segments,
                )
                message_id = message.id
            await outbox.enqueue(
                session,
                outgoing=outbox.Outgoing(
                    idempotency_key=f"reply:{row.message_sid}:1",
                    kind="registration" if answer.outcome == Outcome.REGISTRATION_SENT else "reply",
                    to_number=row.from_number,
                    channel=row.channel,
                    from_address=row.to_number,
                    body=answer.reply,
                    user_id=answer.user_id,
                    conversation_id=answer.conversation_id,
                    inbox_id=row.id,
                    message_id=message_id,
                ),
                clock=self.clock,
            )
        return delivery

    async def _record_inbound(
        self, session: AsyncSession, row: InboxItem, conversation_id: int
    ) -> None:
        if row.attempts > 1 and await messages.has_sid(session, twilio_sid=row.message_sid):
            return  # recorded by the attempt that died
        await messages.record_message(
            session,
            conversation_id=conversation_id,
            direction="inbound",
            body=row.body,
            status="received",
            twilio_sid=row.message_sid,
            clock=self.clock,
        )

    async def _unknown_sender(self, session: AsyncSession, phone: str) -> _Answer:
        log.info("inbound from unregistered number %s", mask_phone(phone))
        if self.settings.unknown_sender_policy == "silent" or await consent.is_opted_out(
            session, phone=phone
        ):
            return _Answer(reply=None, outcome=Outcome.IGNORED_UNKNOWN)
        already = await inbox.count_outcomes_since(
            session,
            from_number=phone,
            outcome=Outcome.REGISTRATION_SENT,
            since_hours=24,
            clock=self.clock,
        )
        if already:
            return _Answer(reply=None, outcome=Outcome.IGNORED_UNKNOWN)
        return _Answer(
            reply=self.settings.unknown_sender_message, outcome=Outcome.REGISTRATION_SENT
        )

    async def _record_failure(
        self,
        message_sid: str,
        user_id: int,
        conversation_id: int,
        error: BaseException,
        started: float,
    ) -> None:
        gone = isinstance(error, UserNotFound)  # the user row (and its FKs) no longer exist
        async with self.database.session() as session:
            await record_interaction(
                session,
                user_id=None if gone else user_id,
                conversation_id=None if gone else conversation_id,
                message_sid=message_sid,
                planner=planner_for(self.chat_model or load_chat_model(self.settings)).name,
                nodes=[],
                tools=[],
                steps=0,
                latency_ms=int((time.perf_counter() - started) * 1000),
                outcome=Outcome.ERROR,
                error_class=describe(error),
                clock=self.clock,
            )
