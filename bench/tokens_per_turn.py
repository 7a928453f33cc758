"""Prompt tokens per turn over a 200-turn scripted conversation, with and without summaries.

Both runs drive the real graph (`graph.graph.builder`, InMemorySaver, a temporary SQLite file,
the default local embeddings) with the same scripted texts and a stand-in LLM. The LLM answers
every text with a ~40-word reply, and it answers summary requests with a ~100-word summary, as a
real model asked for "at most 120 words" would. Each plan call records the estimated tokens of
the prompt it was given: system prompt, summary, memories, documents and history.
"With summaries" uses the default HISTORY_TOKEN_BUDGET (2000). "Without" sets a budget and a
message cap that are never reached. Run from the repo root:

    .venv/bin/python bench/tokens_per_turn.py [--turns 200] [--budget 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
for _name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2"):
    os.environ.pop(_name, None)

from langchain_core.language_models import BaseChatModel  # noqa: E402
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage  # noqa: E402
from langchain_core.messages.utils import count_tokens_approximately  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult  # noqa: E402
from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from pydantic import Field  # noqa: E402

from graph import prompts  # noqa: E402
from graph.context import Context  # noqa: E402
from graph.graph import builder  # noqa: E402
from stores import users  # noqa: E402
from stores.clock import SystemClock  # noqa: E402
from stores.db import Database  # noqa: E402
from stores.embeddings import LocalMiniLMEmbeddings  # noqa: E402
from stores.migrate import upgrade  # noqa: E402

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

    @property
    def _llm_type(self) -> str:
        return "bench-stand-in"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        if messages and messages[0].content == prompts.SUMMARIZE_SYSTEM:
            return ChatResult(generations=[ChatGeneration(message=AIMessage(SUMMARY))])
        if messages and messages[0].content == prompts.EXTRACT_FACTS_SYSTEM:  # after each turn
            return ChatResult(generations=[ChatGeneration(message=AIMessage('{"facts": []}'))])
        self.plan_prompt_tokens.append(count_tokens_approximately(messages))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(REPLY))])


async def conversation(turns: int, budget: int, summarize: bool, folder: str) -> list[int]:
    url = f"sqlite:///{folder}/{'with' if summarize else 'without'}.db"
    upgrade(url)
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


async def main(turns: int, budget: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        with_summary = await conversation(turns, budget, True, folder)
        without = await conversation(turns, budget, False, folder)
    print(f"prompt tokens per turn (estimated, ~4 characters a token), budget {budget}")
    print(f"{'turn':>5} {'with summaries':>15} {'without':>9} {'ratio':>7}")
    marks = sorted({1, 10, 20, 30, 50, 100, 150, turns} & set(range(1, turns + 1)))
    for turn in marks:
        a, b = with_summary[turn - 1], without[turn - 1]
        print(f"{turn:>5} {a:>15} {b:>9} {a / b:>7.2f}")
    settled = with_summary[24:]
    ratio = with_summary[-1] / without[-1]
    print(
        f"with summaries after turn 25: min {min(settled)}, max {max(settled)}, "
        f"mean {sum(settled) / len(settled):.0f} (bounded: it never grows past the budget)"
    )
    print(f"goal <= 0.2x at turn {turns}: {ratio:.2f}x ({'met' if ratio <= 0.2 else 'NOT met'})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--budget", type=int, default=2000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.turns, arguments.budget))
