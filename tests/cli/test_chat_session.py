"""`chat` in process with a movable clock: texts sent later appear as they are queued, and the
operator's own turns are not rate-limited in development (they are with ENV=production)."""

import asyncio
import io
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from cli.chat import run_chat
from stores.clock import ManualClock
from stores.db import Database
from tests.conftest import ANN_PHONE, make_settings
from tests.helpers import add_user

NIGHT = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)  # 02:30 in New York


class Session:
    """A chat running in the background, fed line by line, its output captured."""

    def __init__(self, settings, clock) -> None:
        self.output = io.StringIO()
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()
        console = Console(file=self.output, width=300, color_system=None)
        self.task = asyncio.create_task(
            run_chat(
                settings, ANN_PHONE, console, lines=self._lines(), clock=clock, watch_seconds=0.05
            )
        )

    async def _lines(self) -> AsyncIterator[str]:
        while (line := await self.lines.get()) is not None:
            yield line

    def replies(self) -> list[str]:
        return [
            line.split("assistant> ", 1)[1]
            for line in self.output.getvalue().splitlines()
            if "assistant> " in line
        ]

    async def say(self, text: str) -> str:
        before = len(self.replies())
        await self.lines.put(text)
        await self.wait_for(lambda: len(self.replies()) > before)
        return self.replies()[before]

    async def wait_for(self, condition, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if self.task.done():
                self.task.result()  # raises what went wrong
                raise AssertionError("chat ended:\n" + self.output.getvalue())
            if time.monotonic() > deadline:
                raise AssertionError("not seen in time:\n" + self.output.getvalue()[-2000:])
            await asyncio.sleep(0.02)

    async def quit(self) -> int:
        await self.lines.put("/quit")
        return await self.task


@pytest.fixture
async def ann(sqlite_url, clock):
    database = Database(sqlite_url)
    user = await add_user(database, clock, ANN_PHONE, name="Ann", timezone="America/New_York")
    await database.dispose()
    return user


@pytest.fixture
def clock():
    return ManualClock(NIGHT)


async def test_a_reminder_that_falls_due_is_printed_marked_as_sent_later(sqlite_url, clock, ann):
    chat = Session(make_settings(sqlite_url, scheduler_poll_seconds=0.05), clock)
    assert (await chat.say("remind me to stretch in 1 minute")).startswith("OK — Wed Nov 25, 2:31")
    clock.advance(timedelta(minutes=1))
    await chat.wait_for(lambda: "later (reminder)> Reminder: stretch" in chat.output.getvalue())
    assert (await chat.say("snooze 10")).startswith("Snoozed until Wed Nov 25, 2:41 AM")
    assert await chat.quit() == 0


@pytest.mark.slow
async def test_200_chat_turns_in_development_are_all_answered(sqlite_url, clock, ann):
    chat = Session(make_settings(sqlite_url), clock)  # default limits: 10 a minute, 100 segments
    for n in range(200):
        assert await chat.say(f"note: thing {n}") == f"Saved note #{n + 1}: thing {n}"
    assert await chat.quit() == 0


async def test_in_production_the_limit_notice_says_when_it_resets(sqlite_url, clock, ann):
    chat = Session(make_settings(sqlite_url, env="production", rate_limit_per_day=3), clock)
    for n in range(3):
        assert (await chat.say(f"note: thing {n}")).startswith("Saved note")
    assert await chat.say("note: one too many") == (
        "You've sent today's maximum of messages. I'll answer again after 2:31 AM tomorrow."
    )
    assert await chat.say("note: and another") == "(no reply)"  # one notice, then silence
    assert await chat.quit() == 0
