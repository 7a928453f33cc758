"""`sms-assistant chat`: a terminal conversation through the same inbox and runner as a text.

Texts the service sends later on its own (a reminder falling due, a late reply) are printed as
they are queued, marked `later (<kind>)>`, so `snooze 10` and `done` can be tried here. The chat
runs the reminder scheduler itself (any number of schedulers fire each reminder once), so that
works without a server; it never sends anything to a phone.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

from rich.console import Console
from rich.text import Text

from messaging.limits import operator_sid
from messaging.runner import TurnRunner
from messaging.scheduler import ReminderScheduler
from stores import inbox, outbox, users
from stores.checkpointer import open_checkpointer
from stores.clock import Clock, SystemClock
from stores.db import Database
from stores.inbox import InboundSms
from stores.settings import Settings

PROMPT = "you> "
QUIT_WORDS = {"/quit", "/exit", "quit", "exit"}
WATCH_SECONDS = 1.0
"""How often the chat looks for texts sent later."""


class NotRegistered(LookupError):
    """The phone number given to `chat` belongs to nobody registered."""


async def stdin_lines() -> AsyncIterator[str]:
    while line := await asyncio.to_thread(sys.stdin.readline):
        yield line.rstrip("\r\n")


def _say(console: Console, text: str) -> None:
    # Replies and names are the user's text: never read them as Rich markup or emoji codes,
    # and never hard-wrap them at the (80-column, when piped) console width.
    console.print(Text(text), soft_wrap=True)


CHAT_REPLY_PREFIX = "reply:SMcli"
"""The outbox key of a reply to a text typed in this chat (see messaging.limits.operator_sid)."""


async def _watch_later_texts(
    database: Database, user_id: int, after_id: int, console: Console, poll_seconds: float
) -> None:
    """Print the user's outbox rows as they appear. The chat's own replies are filed there too
    (every reply is, until its delivery is decided) but were printed as `assistant>` already."""
    while True:
        await asyncio.sleep(poll_seconds)
        async with database.session() as session:
            rows = await outbox.queued_for_user(session, user_id=user_id, after_id=after_id)
        for row in rows:
            after_id = row.id
            if row.idempotency_key.startswith(CHAT_REPLY_PREFIX):
                continue
            console.print()
            _say(console, f"later ({row.kind})> {row.body}")
            console.print(PROMPT, end="")


async def run_chat(
    config: Settings,
    phone: str,
    console: Console,
    *,
    lines: AsyncIterator[str] | None = None,
    clock: Clock | None = None,
    watch_seconds: float = WATCH_SECONDS,
) -> int:
    """Read lines (stdin) until /quit or the end. Raises NotRegistered for an unknown number."""
    clock = clock or SystemClock()
    lines = lines or stdin_lines()
    database = Database(config.database_url)
    background: list[asyncio.Task[None]] = []
    try:
        async with database.session() as session:
            user = await users.get_user_by_phone(session, phone=phone)
            seen = await outbox.highest_id(session)
        if user is None:
            raise NotRegistered(
                f"{phone} is not registered: "
                f"`sms-assistant users add --phone {phone} --name ...` first"
            )
        _say(console, f"Chatting as {user.name} ({phone}). Type /quit or Ctrl-D to leave.")
        scheduler = ReminderScheduler(database=database, settings=config, clock=clock)
        background = [
            asyncio.create_task(scheduler.run_forever(), name="chat-scheduler"),
            asyncio.create_task(
                _watch_later_texts(database, user.id, seen, console, watch_seconds),
                name="chat-later-texts",
            ),
        ]
        async with open_checkpointer(config.database_url) as checkpointer:
            runner = TurnRunner(
                database=database, checkpointer=checkpointer, settings=config, clock=clock
            )
            console.print(PROMPT, end="")
            async for text in lines:
                if text.strip().lower() in QUIT_WORDS:
                    break
                if not text.strip():
                    console.print(PROMPT, end="")
                    continue
                inbound = InboundSms(
                    message_sid=operator_sid("SMcli"),
                    from_number=phone,
                    channel="sms",
                    body=text,
                )
                async with database.session() as session:
                    row, _ = await inbox.receive(session, inbound=inbound, clock=clock)
                result = await runner.run(row.id)
                _say(console, f"assistant> {result.reply or '(no reply)'}")
                console.print(PROMPT, end="")
            console.print()
            return 0
    finally:
        for task in background:
            task.cancel()
        for task in background:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await database.dispose()
