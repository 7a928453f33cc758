"""The turn worker: claims inbox rows and runs them, one turn at a time per conversation.

Runs inside `serve` on SQLite (one process) and as `sms-assistant worker` processes on Postgres,
where any number of them coordinate through the database only: candidate rows are read with
FOR UPDATE SKIP LOCKED, the conversation's advisory lock is taken before the claim and held for
the whole turn, and a text waits while an older one of its conversation is unanswered.
"""

from __future__ import annotations

import asyncio
import logging

from messaging.locks import ConversationLocks
from messaging.logs import log_context
from messaging.notify import WorkSignal
from messaging.runner import TurnRunner
from messaging.tasks import stop_tasks
from stores import inbox
from stores.clock import Clock
from stores.db import Database
from stores.inbox import Candidate
from stores.redact import described

log = logging.getLogger(__name__)

RECOVERY_EVERY_SECONDS = 5.0


class TurnWorker:
    def __init__(
        self,
        *,
        runner: TurnRunner,
        database: Database,
        locks: ConversationLocks,
        clock: Clock,
        concurrency: int,
        poll_seconds: float,
        reply_deadline_seconds: float,
        signal: WorkSignal | None = None,
    ) -> None:
        self.runner = runner
        self.database = database
        self.locks = locks
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.reply_deadline_seconds = reply_deadline_seconds
        self.signal = signal or WorkSignal()
        self.concurrency = concurrency
        self._tasks: set[asyncio.Task[None]] = set()

    async def run_forever(self) -> None:
        last_recovery = None
        while True:
            try:
                now = asyncio.get_running_loop().time()
                if last_recovery is None or now - last_recovery > RECOVERY_EVERY_SECONDS:
                    await self.recover()
                    last_recovery = now
                started = await self.start_available()
            except Exception as error:
                log.error(
                    "turn worker: %s; retrying",
                    described(error),
                )
                started = 0
            if not started:
                await self.signal.wait(self.poll_seconds)

    async def start_available(self) -> int:
        """Claim what can run now (free slots, free conversations) and start it."""
        free = self.concurrency - len(self._tasks)
        if free <= 0:
            return 0
        claimed = await self._claim(free)
        for candidate in claimed:
            task = asyncio.create_task(self._run(candidate))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(claimed)

    async def stop(self) -> None:
        await stop_tasks(list(self._tasks), "turn worker")
        await self.locks.close()

    async def _claim(self, wanted: int) -> list[Candidate]:
        """Up to `wanted` rows, each with its conversation lock held (released by _run)."""
        claimed: list[Candidate] = []
        try:
            async with self.database.session() as session:
                for candidate in await inbox.candidates(
                    session, clock=self.clock, limit=max(20, 2 * wanted)
                ):
                    if len(claimed) == wanted:
                        break
                    if not await self.locks.try_acquire(candidate.conversation_key):
                        continue
                    claimed.append(candidate)
                    if not await inbox.claim(
                        session, inbox_id=candidate.inbox_id, clock=self.clock
                    ):
                        claimed.pop()
                        await self.locks.release(candidate.conversation_key)
        except BaseException:
            for candidate in claimed:
                await self.locks.release(candidate.conversation_key)
            raise
        return claimed

    async def _run(self, candidate: Candidate) -> None:
        try:
            with log_context(message_sid=candidate.message_sid):
                await self.runner.run_claimed(candidate.inbox_id)
        except Exception as error:
            log.exception(
                "turn for inbox row %s crashed: %s", candidate.inbox_id, type(error).__name__
            )
        finally:
            await self.locks.release(candidate.conversation_key)
            self.signal.wake()  # the conversation's next text may be waiting

    async def recover(self) -> None:
        """Requeue rows whose worker died mid-turn; route replies nobody waits for to REST.

        A row is orphaned when it is `processing` but its conversation lock is free: a live
        worker holds the lock for the whole turn.
        """
        async with self.database.session() as session:
            running = await inbox.processing_rows(session)
            stale = await inbox.abandon_stale_waits(
                session, older_than=self.reply_deadline_seconds + 5, clock=self.clock
            )
        requeued = 0
        for candidate in running:
            if not await self.locks.try_acquire(candidate.conversation_key):
                continue
            try:
                async with self.database.session() as session:
                    await inbox.requeue(session, inbox_id=candidate.inbox_id, clock=self.clock)
                requeued += 1
            finally:
                await self.locks.release(candidate.conversation_key)
        if requeued or stale:
            log.warning(
                "recovery: %d interrupted turn(s) requeued, %d late reply(ies) -> REST",
                requeued,
                stale,
            )
