"""The message pipeline of one process: runner, turn worker, outbox sender, and the webhook's
deadline-aware wait for its reply."""

from __future__ import annotations

import asyncio
import logging

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver

from messaging.delivery import WAIT_POLL_SECONDS, Disconnected, wait_inline
from messaging.locks import locks_for
from messaging.notify import ReplyNotifier, WorkSignal
from messaging.runner import TurnRunner
from messaging.scheduler import ReminderScheduler
from messaging.sender import OutboxSender
from messaging.tasks import stop_tasks
from messaging.transport import LogTransport, Transport, TwilioTransport
from messaging.worker import TurnWorker
from stores.clock import Clock
from stores.db import Database
from stores.embeddings import TextEmbeddings
from stores.settings import Settings

log = logging.getLogger(__name__)


def default_transport(settings: Settings) -> Transport:
    if settings.twilio_rest_configured:
        return TwilioTransport(settings)
    log.warning(
        "TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN not both set: late replies and other REST sends "
        "are logged, not sent"
    )
    return LogTransport()


class Pipeline:
    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        checkpointer: BaseCheckpointSaver[str],
        clock: Clock,
        chat_model: BaseChatModel | None = None,
        embeddings: TextEmbeddings | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.notifier = ReplyNotifier()
        self.signal = WorkSignal()
        self.runner = TurnRunner(
            database=database,
            checkpointer=checkpointer,
            settings=settings,
            clock=clock,
            chat_model=chat_model,
            embeddings=embeddings,
            notifier=self.notifier,
        )
        self.worker = TurnWorker(
            runner=self.runner,
            database=database,
            locks=locks_for(database.engine),
            clock=clock,
            concurrency=settings.turn_concurrency,
            poll_seconds=settings.worker_poll_seconds,
            reply_deadline_seconds=settings.reply_deadline_seconds,
            signal=self.signal,
        )
        self.transport = transport or default_transport(settings)
        self.sender = OutboxSender(
            database=database, transport=self.transport, settings=settings, clock=clock
        )
        self.scheduler = ReminderScheduler(database=database, settings=settings, clock=clock)
        self._tasks: list[asyncio.Task[None]] = []

    def start_background(self) -> None:
        """Run the worker, the sender and the reminder scheduler in this process until stop()."""
        self._tasks = [
            asyncio.create_task(self.worker.run_forever(), name="turn-worker"),
            asyncio.create_task(self.sender.run_forever(), name="outbox-sender"),
            asyncio.create_task(self.scheduler.run_forever(), name="reminder-scheduler"),
        ]

    async def stop(self) -> None:
        await stop_tasks(self._tasks, "pipeline")
        await self.worker.stop()
        await self.transport.close()

    async def wait_for_reply(
        self, inbox_id: int, deadline: float, disconnected: Disconnected | None = None
    ) -> str | None:
        """The reply for TwiML if the turn ends while the caller is connected and before
        `deadline` (loop time); else None and it goes out through the outbox."""
        # A worker in this process wakes us when the turn ends; one elsewhere cannot, so then
        # the row is polled.
        return await wait_inline(
            self.database,
            self.notifier,
            inbox_id=inbox_id,
            deadline=deadline,
            clock=self.clock,
            disconnected=disconnected,
            poll_seconds=None if self._tasks else WAIT_POLL_SECONDS,
        )
