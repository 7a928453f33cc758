"""Prompt tokens per turn over a 200-turn scripted conversation, with and without summaries.

Both runs drive the real graph (`graph.graph.builder`, InMemorySaver, a temporary SQLite file,
the default local embeddings) with the same scripted texts and a stand-in LLM. The LLM answers
every text with a ~40-word reply, and it answers summary requests with a ~100-word summary, as a
real model asked for "at most 120 words" would. Each plan call records the estimated tokens of
the prompt it was given: system prompt, summary, memories, documents and history.
"With summaries" uses the default HISTORY_TOKEN_BUDGET (2000). "Without" sets a budget and a
message cap that are never reached. The tool schemas bound to the model (27 tools) are part of
every plan request and are counted (their JSON, ~4 characters a token). The figures are
deterministic (no timing), so one run is the result; there is nothing to alternate.

    .venv/bin/python -m bench.tokens_per_turn [--turns 200] [--budget 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import Field

from bench.common import Goal, Series, bench_settings, report
from graph import prompts
from graph.context import Context
from graph.graph import builder
from stores import users
from stores.clock import SystemClock
from stores.db import Database
from stores.embeddings import LocalMiniLMEmbeddings
from stores.migrate import upgrade

TOPICS = [
    "the dentist",
    "groceries",
    "the school run",
    "rent",
    "the gym",
    "a birthday gift",
    "the car service",
    "dinner plans",
    "a flight",
    "the plumber",
]
REPLY = (
    "Sure. I have looked at that for you and here is what I found: the best option is to go "
    "early in the day, bring the paperwork, and check the details again the evening before. "
    "Anything else?"
)
SUMMARY = " ".join(
    f"Discussed {topic}: user asked for help, assistant suggested a plan and a reminder."
    for topic in TOPICS[:7]
)


def text_of_turn(turn: int) -> str:
    topic = TOPICS[turn % len(TOPICS)]
    return (
        f"Turn {turn}: can you help me think about {topic} this week? I have a few constraints "
        "around work and I would like a short answer."
    )


class StandInLLM(BaseChatModel):
    """Answers plans with REPLY, summary requests with SUMMARY and fact extraction with no
    facts; records the size of each plan prompt."""

    plan_prompt_tokens: list[int] = Field(default_factory=list)
    tool_schema_tokens: int = 0

    @property
    def _llm_type(self) -> str:
        return "bench-stand-in"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        # What a real model gets with every plan request: each tool's JSON schema.
        schemas = json.dumps([convert_to_openai_tool(tool) for tool in tools])
        self.tool_schema_tokens = math.ceil(len(schemas) / 4)
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        if messages and messages[0].content == prompts.SUMMARIZE_SYSTEM:
            return ChatResult(generations=[ChatGeneration(message=AIMessage(SUMMARY))])
        if messages and messages[0].content == prompts.EXTRACT_FACTS_SYSTEM:  # after each turn
            return ChatResult(generations=[ChatGeneration(message=AIMessage('{"facts": []}'))])
        self.plan_prompt_tokens.append(
            count_tokens_approximately(messages) + self.tool_schema_tokens
        )
        return ChatResult(generations=[ChatGeneration(message=AIMessage(REPLY))])


async def conversation(turns: int, budget: int, summarize: bool, folder: str) -> list[int]:
    url = f"sqlite:///{folder}/{'with' if summarize else 'without'}.db"
    upgrade(url)
    settings = bench_settings(url)
    database = Database(url)
    clock = SystemClock()
    async with database.session() as session:
        user = await users.add_user(
            session, phone="+14155550123", name="Ann", timezone="UTC", clock=clock
        )
    model = StandInLLM()
    graph = builder.compile(checkpointer=InMemorySaver())
    embeddings = LocalMiniLMEmbeddings()
    limits = (
        {"history_token_budget": budget}
        if summarize
        else {"history_token_budget": 10**9, "history_max_messages": 10**9}
    )
    for turn in range(1, turns + 1):
        await graph.ainvoke(
            {"messages": [HumanMessage(text_of_turn(turn))]},
            config={"configurable": {"thread_id": "bench"}},
            context=Context(
                settings=settings,
                user_id=user.id,
                database=database,
                clock=clock,
                chat_model=model,
                embeddings=embeddings,
                **limits,
            ),
        )
    await database.dispose()
    return model.plan_prompt_tokens


async def main(turns: int, budget: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        with_summary = await conversation(turns, budget, True, folder)
        without = await conversation(turns, budget, False, folder)
    print("prompt tokens per turn (estimated, ~4 characters a token, tool schemas included)")
    print(f"{'turn':>5} {'with summaries':>15} {'without':>9} {'ratio':>7}")
    marks = sorted({1, 10, 20, 30, 50, 100, 150, turns} & set(range(1, turns + 1)))
    for turn in marks:
        a, b = with_summary[turn - 1], without[turn - 1]
        print(f"{turn:>5} {a:>15} {b:>9} {a / b:>7.2f}")
    ratio = with_summary[-1] / without[-1]
    return report(
        "tokens_per_turn",
        f"Prompt tokens per plan call over {turns} turns (budget {budget}; deterministic)",
        [
            Series(f"with summaries, turn {turns}", "tok", [float(with_summary[-1])]),
            Series(f"without summaries, turn {turns}", "tok", [float(without[-1])]),
            Series("max with summaries after turn 25", "tok", [float(max(with_summary[24:]))]),
        ],
        [Goal(f"<= 0.2x at turn {turns}", ratio <= 0.2, f"{ratio:.3f}x")],
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--budget", type=int, default=2000)
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.turns, arguments.budget)))
