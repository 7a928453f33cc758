import re

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, ToolMessage
from langchain_core.messages.utils import count_tokens_approximately
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import select

from graph.context import Context
from graph.nodes.summarize import count_tokens, extractive_summary, summarize, turns_to_fold
from graph.state import State
from stores import users
from stores.models import ConversationSummary
from tests.helpers import BrokenModel, ScriptedModel, add_user, runtime, turn
from tests.queries import current_summary


def history(turns: int) -> list:
    messages = []
    for i in range(turns):
        messages.append(HumanMessage(f"q{i}", id=f"h{i}"))
        messages.append(
            AIMessage(
                "", id=f"c{i}", tool_calls=[{"name": "list_notes", "args": {}, "id": f"t{i}"}]
            )
        )
        messages.append(ToolMessage("r", tool_call_id=f"t{i}", id=f"r{i}"))
        messages.append(AIMessage(f"a{i}", id=f"a{i}"))
    return messages


async def test_short_histories_are_left_alone(database, clock):
    update = await summarize(
        State(messages=history(2)),
        runtime(Context(database=database, clock=clock, history_max_messages=8)),
    )
    assert update == {}


async def test_long_histories_fold_whole_old_turns_down_to_half_the_cap(database, clock):
    update = await summarize(
        State(messages=history(5)),
        runtime(Context(database=database, clock=clock, history_max_messages=12)),
    )
    removed = [m.id for m in update["messages"]]
    assert all(isinstance(m, RemoveMessage) for m in update["messages"])
    # 20 messages, cap 12: down to at most 6, whole turns only: the first 4 turns (16) go.
    assert removed == [m.id for m in history(5)[:16]]
    assert "- User: q0 / Assistant: a0" in update["summary"]


def test_a_single_turn_longer_than_the_limit_is_kept_whole():
    messages = history(2)
    assert turns_to_fold(messages, limit=3) == messages[:4]


def long_history(turns: int, words: int = 40) -> list:
    messages = []
    for i in range(turns):
        messages.append(HumanMessage(f"question {i}: " + "word " * words, id=f"h{i}"))
        messages.append(AIMessage(f"answer {i}: " + "reply " * words, id=f"a{i}"))
    return messages


async def test_past_the_token_budget_old_turns_fold_into_a_stored_summary(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    async with database.session() as session:
        conversation = await users.get_or_create_conversation(
            session, user_id=ann.id, channel="sms", clock=clock
        )
    messages = long_history(10)  # ~10 x 2 x 55 tokens = ~1100
    assert count_tokens(messages) > 600
    update = await summarize(
        State(
            messages=messages,
            summary="- User: earlier / Assistant: yes",
            user={"id": ann.id, "phone": ann.phone, "name": "Ann", "timezone": "UTC"},
            conversation_id=conversation.id,
        ),
        runtime(Context(database=database, clock=clock, history_token_budget=600)),
    )
    removed = {m.id for m in update["messages"]}
    kept = [m for m in messages if m.id not in removed]
    assert count_tokens(kept) <= 300  # folded down to half the budget
    assert isinstance(kept[0], HumanMessage)  # whole turns only
    last_folded = max(int(i[1:]) for i in removed)
    lines = update["summary"].splitlines()
    assert lines[-1].startswith(f"- User: question {last_folded}: word")
    assert f"/ Assistant: answer {last_folded}: reply" in lines[-1]
    assert len(update["summary"]) / 4 <= 600 // 4  # the summary has its own cap
    async with database.session() as session:
        assert (
            await current_summary(session, conversation_id=conversation.id) == (update["summary"])
        )


async def test_with_an_llm_the_model_writes_the_summary(database, clock):
    model = ScriptedModel(script=[AIMessage("Ann asked about 0-9; all answered.")])
    update = await summarize(
        State(messages=long_history(10), summary="Ann said hello."),
        runtime(
            Context(database=database, clock=clock, history_token_budget=600, chat_model=model)
        ),
    )
    assert update["summary"] == "Ann asked about 0-9; all answered."
    request = model.seen[0][-1].content
    assert "Summary so far:\nAnn said hello." in request
    assert "User: question 0:" in request and "Assistant: answer 0:" in request


async def test_an_llm_failure_falls_back_to_the_extractive_summary(database, clock):
    update = await summarize(
        State(messages=long_history(10)),
        runtime(
            Context(
                database=database, clock=clock, history_token_budget=600, chat_model=BrokenModel()
            )
        ),
    )
    assert update["summary"].splitlines()[-1].startswith("- User: question 7:")


def test_extractive_summaries_stay_within_their_cap():
    summary = ""
    for _ in range(20):
        summary = extractive_summary(summary, long_history(10)[: 2 * 10], max_tokens=150)
        assert count_tokens_approximately([summary]) <= 200
    assert summary.splitlines()[-1].startswith("- User: question 9:")


async def test_state_stays_bounded_over_300_turns(database, clock):
    ann = await add_user(database, clock, "+14155550123")
    saver = InMemorySaver()
    budget = 800
    sizes, summaries = [], []
    for i in range(300):
        text = f"note: turn {i} " + " ".join(f"w{i}x{j}" for j in range(12))
        final = await turn(
            text,
            user_id=ann.id,
            database=database,
            clock=clock,
            saver=saver,
            history_token_budget=budget,
        )
        sizes.append(count_tokens(final["messages"]))
        summaries.append(final.get("summary", ""))
    assert max(sizes) <= budget
    assert max(sizes[100:]) <= budget and min(sizes[100:]) >= budget // 4  # flat, not empty
    assert max(count_tokens_approximately([s]) for s in summaries) <= budget // 4 + 60
    newest_folded = int(re.search(r"turn (\d+)", summaries[-1].splitlines()[-1]).group(1))
    assert 250 < newest_folded < 299  # recent turns are in the summary, the current one is not
    assert "turn 0 " not in summaries[-1]  # and the oldest made way
    async with database.session() as session:
        rows = (await session.execute(select(ConversationSummary))).scalars().all()
    assert len(rows) > 20 and rows[-1].text == summaries[-1]
    assert all(row.method == "extractive" for row in rows)
