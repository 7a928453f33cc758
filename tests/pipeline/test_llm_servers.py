"""Conversations through the webhook with the real ChatOpenAI against a strict fake server, in
each mode (OpenAI, llama.cpp): no request is refused and no model output breaks a conversation."""

from __future__ import annotations

import asyncio
import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from sqlalchemy import select

from graph import prompts
from graph.graph import builder
from graph.model import build_chat_model
from messaging import after_reply
from messaging.metrics import INVALID_TOOL_CALLS
from stores.checkpointer import open_checkpointer
from stores.models import Conversation, Interaction, Memory, Note, Reminder, Todo
from tests.api.conftest import SMS_URL, AppHarness, start_app
from tests.conftest import ANN_PHONE, AUTH_TOKEN
from tests.fakes.openai_api import MODES, FakeOpenAI, call_reply, text_reply
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import add_user, post_signed, twilio_form
from tests.pipeline.conftest import pipeline_settings


@dataclass
class Conversation_:
    fake: FakeOpenAI
    app: AppHarness
    twilio: FakeTwilio
    mode: str
    inline: bool = False
    """Whether the last reply came inline in the webhook's TwiML answer."""

    async def say(self, text: str) -> str:
        """The reply the texter gets: inline TwiML, or (after the deadline) by REST."""
        before = len(self.twilio.bodies_to(ANN_PHONE))
        response = await post_signed(
            self.app.client, twilio_form(text, ANN_PHONE), token=AUTH_TOKEN, signed_url=SMS_URL
        )
        assert response.status_code == 200
        inline = [m.text or "" for m in ET.fromstring(response.text).iter("Message")]
        self.inline = bool(inline)
        if inline:
            return inline[0]
        for _ in range(400):
            sent = self.twilio.bodies_to(ANN_PHONE)
            if len(sent) > before:
                return sent[-1]
            await asyncio.sleep(0.05)
        raise AssertionError("no reply arrived")

    async def rows(self, model: type) -> list:
        async with self.app.database.session() as session:
            return list((await session.execute(select(model))).scalars().all())


async def open_conversation(
    mode: str, sqlite_url: str, clock, fake_twilio, **overrides: object
) -> AsyncIterator[Conversation_]:
    fake = FakeOpenAI(mode=mode)  # type: ignore[arg-type]
    with fake.serve() as server:
        values: dict[str, object] = {
            "openai_base_url": server.url + "/v1",
            "openai_api_key": "sk-test",
            "llm_model": "fake-model",
            "llm_max_retries": 0,
        }
        if mode == "openai":  # as against api.openai.com, which the host does not say here
            values["llm_token_limit_field"] = "max_completion_tokens"
        values.update(overrides)
        settings = pipeline_settings(sqlite_url, fake_twilio[1], **values)
        model = build_chat_model(settings)
        async for harness in start_app(settings, clock, chat_model=model):
            await add_user(harness.database, clock, ANN_PHONE)
            yield Conversation_(fake, harness, fake_twilio[0], mode)
        assert fake.refused == [], "the fake server refused a request"


@pytest.fixture(params=MODES)
async def chat(request, sqlite_url, clock, fake_twilio) -> AsyncIterator[Conversation_]:
    async for conversation in open_conversation(request.param, sqlite_url, clock, fake_twilio):
        yield conversation


async def test_a_plain_text_is_answered_by_the_model_with_requests_the_server_reads(chat):
    assert await chat.say("hello there") == "You said: hello there"
    [request] = chat.fake.planning_requests()
    assert request["tool_choice"] == "auto" and request["tools"]
    if chat.mode == "openai":
        assert request["max_completion_tokens"] == 400 and "max_tokens" not in request
    else:
        assert request["max_tokens"] == 400 and "max_completion_tokens" not in request


async def test_a_reminder_asked_for_is_stored_with_every_server(chat):
    reply = await chat.say("remind me to call mom tomorrow at 5pm")
    [reminder] = await chat.rows(Reminder)
    assert reminder.text == "call mom"
    assert "call mom" in reply
    # The follow-up request carried the tool call back with string content (llama.cpp: 500 on null).
    follow_up = chat.fake.planning_requests()[-1]["messages"]
    assistant = next(m for m in follow_up if m["role"] == "assistant")
    assert assistant["content"] == "" and assistant["tool_calls"]
    assert await chat.say("thanks!") == "You said: thanks!"  # and the conversation goes on


async def test_after_a_malformed_tool_call_the_next_text_is_answered_normally(chat, caplog):
    counted = INVALID_TOOL_CALLS.labels(tool="save_note", reason="malformed_arguments")
    before = counted._value.get()
    chat.fake.script = [
        call_reply("save_note", '{"text": "milk"', "call_bad"),
        text_reply("Sorry, I could not save that note."),
    ]
    assert await chat.say("note milk please") == "Sorry, I could not save that note."
    error = chat.fake.planning_requests()[1]["messages"][-1]
    assert error["role"] == "tool" and error["tool_call_id"] == "call_bad"
    assert "not valid JSON" in error["content"]
    assert counted._value.get() == before + 1
    assert "invalid tool call from the model: save_note" in caplog.text
    assert await chat.say("hello again") == "You said: hello again"


async def test_a_stored_conversation_with_an_orphan_tool_call_is_repaired_before_the_model_call(
    chat, sqlite_url
):
    assert await chat.say("hi") == "You said: hi"
    [conversation] = await chat.rows(Conversation)
    orphan = AIMessage(
        content="", tool_calls=[{"name": "list_notes", "args": {}, "id": "call_orphan"}]
    )
    async with open_checkpointer(sqlite_url) as saver:
        graph = builder.compile(checkpointer=saver)
        config = {"configurable": {"thread_id": str(conversation.id)}}
        await graph.aupdate_state(
            config, {"messages": [HumanMessage("notes", id="old"), orphan]}, as_node="persist"
        )
    assert await chat.say("hello") == "You said: hello"


async def test_a_model_repeating_one_save_note_leaves_one_note(chat):
    same = {"text": "buy milk"}
    chat.fake.script = [
        call_reply("save_note", same, "call_a"),
        call_reply("save_note", same, "call_b"),
        call_reply("save_note", same, "call_c"),
        text_reply("Saved your note."),
    ]
    assert await chat.say("note: buy milk") == "Saved your note."
    assert [n.text for n in await chat.rows(Note)] == ["buy milk"]


async def test_a_turn_caps_its_writes_and_says_so_to_the_model(chat):
    calls = [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": "add_todo", "arguments": json.dumps({"item": f"item {i}"})},
        }
        for i in range(14)
    ]
    chat.fake.script = [
        {"role": "assistant", "content": None, "tool_calls": calls},
        text_reply("I added 10 items; send the rest in a new text."),
    ]
    assert await chat.say("add these 14 things to my list") == (
        "I added 10 items; send the rest in a new text."
    )
    assert len(await chat.rows(Todo)) == 10
    results = [m for m in chat.fake.planning_requests()[1]["messages"] if m["role"] == "tool"]
    assert sum("at most 10 changes" in m["content"] for m in results) == 4


@pytest.mark.parametrize(
    "written",
    [
        '<tool_call>{"name": "save_note", "arguments": {"text": "buy eggs"}}</tool_call>',
        '{"name": "save_note", "arguments": {"text": "buy eggs"}}',
    ],
    ids=["tagged", "bare-json"],
)
async def test_a_tool_call_written_as_text_is_run_not_sent(chat, written):
    chat.fake.script = [text_reply(written)]
    reply = await chat.say("note buy eggs")
    assert reply == "Saved note #1: buy eggs"
    assert [n.text for n in await chat.rows(Note)] == ["buy eggs"]


@pytest.mark.parametrize(
    "garbage",
    ["functions.save_note:", "", "   ", '{"status": "ok"}', "<tool_call>\n</tool_call>"],
    ids=["functions-fragment", "empty", "blank", "json", "empty-markup"],
)
async def test_raw_model_output_never_reaches_the_texter(chat, garbage):
    chat.fake.script = [
        call_reply("save_note", {"text": "gate 4412"}, "call_1"),
        text_reply(garbage),
    ]
    assert await chat.say("note: gate 4412") == "Saved note #1: gate 4412"  # the tool's words
    chat.fake.script = [text_reply(garbage)]
    assert await chat.say("what now?") == prompts.NO_ANSWER


async def test_markdown_tables_and_bullets_are_flattened_and_entities_undone(chat):
    chat.fake.script = [
        text_reply(
            'Your week:\n| Day | Plan |\n|---|---|\n| Mon | gym |\n\n- call "Bo"\n* pay rent'
        )
    ]
    assert await chat.say("what's my week?") == (
        'Your week:\nDay, Plan\nMon, gym\n\ncall "Bo"\npay rent'
    )


@pytest.mark.parametrize("mode", MODES)
async def test_a_model_too_slow_for_the_turn_budget_gets_an_apology_and_no_second_call(
    sqlite_url, clock, fake_twilio, mode
):
    async for chat in open_conversation(
        mode,
        sqlite_url,
        clock,
        fake_twilio,
        turn_budget_seconds=0.5,
        reply_deadline_seconds=0.2,
        llm_timeout_seconds=20,
    ):
        chat.fake.delay_seconds = 20.0
        assert await chat.say("plan my whole year") == prompts.OUT_OF_TIME
        assert len(chat.fake.planning_requests()) == 1


async def test_the_prompt_starts_the_same_on_every_turn_so_server_caches_hit(chat, clock):
    from datetime import timedelta

    assert await chat.say("remember my sister Priya lives in Leeds")
    clock.advance(timedelta(hours=5))
    await chat.say("hello")
    clock.advance(timedelta(days=1))
    await chat.say("where does my sister Priya live?")
    first, *_, last = chat.fake.planning_requests()
    assert last["tools"] == first["tools"]
    assert last["messages"][0] == first["messages"][0]  # the whole static system prompt
    static = json.dumps(first["tools"]) + first["messages"][0]["content"]
    assert len(static) // 4 >= 1000  # about 1,000 tokens, enough for OpenAI's prompt cache
    # The time and recalled memories come after the stored history, not before it.
    context = last["messages"][-2]
    assert (
        context["role"] == "system" and "Local time: Fri Jan 16 2026, 17:00" in context["content"]
    )
    assert "Priya" in context["content"]
    assert last["messages"][1]["content"] == "remember my sister Priya lives in Leeds"


async def test_a_server_error_is_logged_with_its_status_and_message_not_the_text(chat, caplog):
    chat.fake.failure = (503, "model is loading, retry later")
    reply = await chat.say("my secret plan for tuesday")
    assert reply.startswith("Sorry")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "503: model is loading, retry later" in logged
    assert "secret plan" not in logged
    [run] = await chat.rows(Interaction)  # the admin's run view shows this column
    assert run.outcome == "error" and "503: model is loading" in (run.error_class or "")


async def test_an_unknown_tool_comes_back_to_the_model_as_an_error(chat):
    chat.fake.script = [
        call_reply("send_email", {"to": "bo"}, "call_x"),
        text_reply("I can't send email, sorry."),
    ]
    assert await chat.say("email bo") == "I can't send email, sorry."
    error = chat.fake.planning_requests()[1]["messages"][-1]
    assert error["tool_call_id"] == "call_x" and "no tool named 'send_email'" in error["content"]
    assert await chat.say("ok") == "You said: ok"


async def test_facts_are_extracted_after_the_reply_is_handed_over_never_before(chat):
    chat.fake.facts = [{"fact": "My sister Priya lives in Leeds", "subject": "Priya's home"}]
    chat.fake.extraction_gate = gate = threading.Event()
    try:
        reply = await chat.say("my sister Priya moved to Leeds last week")
        assert reply == "You said: my sister Priya moved to Leeds last week"
        assert chat.inline  # answered in the webhook's own response, while extraction hangs
        assert await chat.rows(Memory) == []
        for _ in range(200):
            if chat.fake.extractions:
                break
            await asyncio.sleep(0.05)
        assert chat.fake.extractions == 1  # it was asked, after the reply
    finally:
        gate.set()
    for _ in range(200):
        if await chat.rows(Memory):
            break
        await asyncio.sleep(0.05)
    [memory] = await chat.rows(Memory)
    assert memory.text == "My sister Priya lives in Leeds"  # entities undone (llama.cpp mode)


async def test_after_reply_work_cut_short_by_a_crash_runs_before_the_next_turn(chat, monkeypatch):
    real = after_reply.run_pending
    calls = []

    async def dies_after_delivery(graph, config, context):
        calls.append(1)
        if len(calls) == 2:  # the first turn's own after-reply run: the process "dies" here
            return False
        return await real(graph, config, context)

    monkeypatch.setattr(after_reply, "run_pending", dies_after_delivery)
    chat.fake.facts = [{"fact": "Ann is allergic to peanuts", "subject": "allergy"}]
    await chat.say("I am allergic to peanuts, by the way")
    assert await chat.rows(Memory) == [] and chat.fake.extractions == 0
    await chat.say("hello")  # too short to extract from: only the waiting work asks
    assert [m.text for m in await chat.rows(Memory)] == ["Ann is allergic to peanuts"]
