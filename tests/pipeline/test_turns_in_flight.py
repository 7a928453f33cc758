"""Many turns run at once in one process; only the LLM calls are held to LLM_CONCURRENCY."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from sqlalchemy import select

from messaging.pipeline import Pipeline
from stores import inbox
from stores.checkpointer import open_checkpointer
from stores.db import Database
from stores.inbox import InboundSms
from stores.models import InboxItem
from tests.helpers import ScriptedModel, add_user, new_sid
from tests.pipeline.conftest import pipeline_settings


class GatedModel(ScriptedModel):
    """Each call waits until `open_at` calls are in flight together, then answers."""

    open_at: int = 1
    in_flight: int = 0
    most_in_flight: int = 0
    gate: Any = None

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):
        if self.gate is None:
            self.gate = asyncio.Event()
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight >= self.open_at:
            self.gate.set()
        try:
            await self.gate.wait()
            await asyncio.sleep(0.01)  # let any call that could still start, start
        finally:
            self.in_flight -= 1
        return ChatResult(generations=[ChatGeneration(message=AIMessage("ok"))])


async def _all_done(database: Database, count: int) -> None:
    while True:
        async with database.session() as session:
            states = (await session.execute(select(InboxItem.state))).scalars().all()
        if len(states) == count and all(state == "done" for state in states):
            return
        await asyncio.sleep(0.05)


async def _answer_texts(
    database_url, twilio_url, clock, model, users, while_running=None, **settings_values
):
    settings = pipeline_settings(database_url, twilio_url, **settings_values)
    database = Database(database_url)
    try:
        phones = [f"+1415555{n:04d}" for n in range(users)]
        for phone in phones:
            await add_user(database, clock, phone)
        async with database.session() as session:
            for phone in phones:
                inbound = InboundSms(
                    message_sid=new_sid(), from_number=phone, channel="sms", body="hi"
                )
                await inbox.receive(session, inbound=inbound, clock=clock)
        async with open_checkpointer(database_url) as saver:
            pipeline = Pipeline(
                settings=settings,
                database=database,
                checkpointer=saver,
                clock=clock,
                chat_model=model,
            )
            watcher = asyncio.ensure_future(
                while_running(pipeline) if while_running else asyncio.sleep(0)
            )
            pipeline.start_background()
            try:
                await asyncio.wait_for(_all_done(database, users), timeout=60)
                await asyncio.wait_for(watcher, timeout=1)
            finally:
                await pipeline.stop()
        async with database.session() as session:
            rows = (await session.execute(select(InboxItem))).scalars().all()
        return [(row.state, row.outcome) for row in rows]
    finally:
        await database.dispose()


async def test_a_dozen_turns_wait_on_the_llm_at_the_same_time(database_url, fake_twilio, clock):
    # Each call waits until all twelve are in flight: with turns capped below twelve, none
    # would ever finish.
    model = GatedModel(script=[], open_at=12)
    rows = await _answer_texts(
        database_url, fake_twilio[1], clock, model, users=12, llm_concurrency=12
    )
    assert rows == [("done", "replied")] * 12
    assert model.most_in_flight == 12


async def test_llm_calls_are_held_to_the_llm_concurrency_setting(sqlite_url, fake_twilio, clock):
    # The model answers only once the test has seen three calls in flight and the other six
    # turns waiting for a slot.
    model = GatedModel(script=[], open_at=10)  # opened by the test, not by the calls
    model.gate = asyncio.Event()

    async def open_when_six_wait(pipeline: Pipeline) -> None:
        limited = pipeline.runner.chat_model
        for _ in range(6000):  # checked every 10 ms for up to a minute
            if model.in_flight == 3 and getattr(limited, "waiting", 0) == 6:
                model.gate.set()
                return
            await asyncio.sleep(0.01)

    rows = await _answer_texts(
        sqlite_url,
        fake_twilio[1],
        clock,
        model,
        users=9,
        llm_concurrency=3,
        while_running=open_when_six_wait,
    )
    assert rows == [("done", "replied")] * 9
    assert model.most_in_flight == 3
