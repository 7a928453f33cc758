"""Turn overhead: one SMS turn through the real graph, with memory and documents, vs LangGraph's
own floor; and what the checkpointer does per turn.

ours: `graph.graph.builder` run the way the runner runs it (messaging.turns.PhasedGraph) over
the real AsyncSqliteSaver on a temporary migrated SQLite file, for a user with 200 memories and
a 30-document knowledge base, so recall and RAG search real indexes. The model is an instant
fake that plans like an LLM (generative: memories and documents go into its prompt); texts
cycle through questions (answered directly) and "note: ..." (one tool call, then an answer).
Embeddings are the deterministic hash embedder of the tests: the model's own cost is not ours.
peer: a 7-node no-op StateGraph with InMemorySaver, the cost of LangGraph itself.

Each repeat runs ours then the peer (alternated), N measured turns each after a warm-up.

    .venv/bin/python -m bench.turn_overhead [--turns 200] [--warmup 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TypedDict

from bench.common import Goal, Series, alternate, bench_settings, report

GOAL_P99_MS = 40.0
GOAL_RATIO = 3.0
MEMORIES = 200
DOCUMENTS = 30
QUESTIONS = (
    "when is the rent due?",
    "what is my locker number?",
    "note: call the plumber about the sink",
    "where did I park?",
    "what did the lease say about pets?",
    "note: buy milk and eggs",
)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(pct / 100 * len(ordered)), 1) - 1]


def instant_model() -> Any:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, HumanMessage
    from langchain_core.outputs import ChatGeneration, ChatResult

    class InstantModel(BaseChatModel):
        """Answers at once: a note asks for save_note, anything else is answered."""

        @property
        def _llm_type(self) -> str:
            return "instant-fake"

        def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
            return self

        def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any):
            last = messages[-1]
            if isinstance(last, HumanMessage) and str(last.content).startswith("note:"):
                call = {
                    "name": "save_note",
                    "args": {"text": str(last.content)[5:]},
                    "id": "call_" + secrets.token_hex(6),
                }
                message = AIMessage(content="", tool_calls=[call])
            else:
                message = AIMessage(content="Here is what I found.")
            return ChatResult(generations=[ChatGeneration(message=message)])

    return InstantModel()


async def _prepare(url: str) -> tuple[Any, Any, int]:
    from stores import kb, memories, users
    from stores.clock import SystemClock
    from stores.db import Database
    from tests.fake_embeddings import HashEmbeddings

    database, embeddings, clock = Database(url), HashEmbeddings(), SystemClock()
    async with database.session() as session:
        user = await users.add_user(
            session, phone="+14155550123", name="Bench", timezone="UTC", clock=clock
        )
    for n in range(MEMORIES):
        await memories.remember(
            database,
            embeddings,
            user_id=user.id,
            clock=clock,
            text=f"fact {n}: locker {n} is next to door {n * 7} on floor {n % 9}",
        )
    for n in range(DOCUMENTS):
        body = " ".join(
            f"Clause {n}.{k}: rent is due on day {k} and pets need consent." for k in range(30)
        )
        await kb.ingest(
            database,
            embeddings,
            user_id=user.id,
            source=f"lease-{n}.txt",
            location=f"/docs/lease-{n}.txt",
            data=body.encode(),
            content_type="text/plain",
            clock=clock,
        )
    return database, embeddings, user.id


class Ours:
    def __init__(self, directory: Path) -> None:
        self.url = f"sqlite:///{directory / 'assistant.db'}"
        self.turn = 0
        self.statements = 0

    async def setup(self) -> None:
        from graph.context import Context
        from graph.graph import builder
        from messaging.turns import PhasedGraph
        from stores.checkpointer import open_checkpointer
        from stores.clock import SystemClock
        from stores.migrate import upgrade

        await asyncio.to_thread(upgrade, self.url)
        settings = bench_settings(self.url)
        self.database, embeddings, user_id = await _prepare(self.url)
        self.context = Context(
            settings=settings,
            user_id=user_id,
            database=self.database,
            clock=SystemClock(),
            chat_model=instant_model(),
            embeddings=embeddings,
        )
        self._saver_cm = open_checkpointer(self.url)
        saver: Any = await self._saver_cm.__aenter__()
        await saver.conn.set_trace_callback(self._count)
        self.graph = PhasedGraph(builder.compile(checkpointer=saver))
        self.config: Any = {"configurable": {"thread_id": "bench"}}

    def _count(self, statement: str) -> None:
        self.statements += 1  # trigger bodies are counted too: an upper bound

    async def one_turn(self) -> None:
        from langchain_core.messages import HumanMessage

        text = QUESTIONS[self.turn % len(QUESTIONS)]
        message = HumanMessage(text, id=f"SM{self.turn:032d}")
        self.turn += 1
        result = await self.graph.ainvoke(
            {"messages": [message]}, self.config, context=self.context
        )
        if not result.get("reply"):
            raise RuntimeError(f"turn {self.turn} ({text!r}) gave no reply: {result!r}")

    async def close(self) -> None:
        await self._saver_cm.__aexit__(None, None, None)
        await self.database.dispose()


class BaselineState(TypedDict, total=False):
    text: str


class Peer:
    async def setup(self) -> None:
        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.graph import END, START, StateGraph

        async def noop(state: BaselineState) -> dict[str, Any]:
            return {}

        graph = StateGraph(BaselineState)
        names = [f"node_{n}" for n in range(7)]
        for name in names:
            graph.add_node(name, noop)
        for a, b in zip([START, *names], [*names, END], strict=True):
            graph.add_edge(a, b)
        self.graph = graph.compile(checkpointer=InMemorySaver())
        self.turn = 0

    async def one_turn(self) -> None:
        self.turn += 1
        config: Any = {"configurable": {"thread_id": "bench"}}
        await self.graph.ainvoke({"text": QUESTIONS[self.turn % len(QUESTIONS)]}, config)


async def timed(subject: Any, warmup: int, turns: int) -> list[float]:
    for _ in range(warmup):
        await subject.one_turn()
    timings = []
    for _ in range(turns):
        started = time.perf_counter_ns()
        await subject.one_turn()
        timings.append((time.perf_counter_ns() - started) / 1e6)
    return timings


def main(turns: int, warmup: int, repeats: int) -> int:
    ours_p50 = Series("ours p50 (memory + KB, SQLite checkpointer)", "ms")
    ours_p99 = Series("ours p99", "ms")
    peer_p50 = Series("peer p50 (7 no-op nodes, InMemorySaver)", "ms")
    peer_p99 = Series("peer p99", "ms")
    statements = Series("checkpointer SQL statements per turn (ours)", "")
    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory(prefix="turn-overhead-") as tmp:
        ours, peer = Ours(Path(tmp)), Peer()
        loop.run_until_complete(ours.setup())
        loop.run_until_complete(peer.setup())

        def run_ours() -> None:
            before, count = ours.statements, warmup + turns
            timings = loop.run_until_complete(timed(ours, warmup, turns))
            ours_p50.values.append(percentile(timings, 50))
            ours_p99.values.append(percentile(timings, 99))
            statements.values.append((ours.statements - before) / count)

        def run_peer() -> None:
            timings = loop.run_until_complete(timed(peer, warmup, turns))
            peer_p50.values.append(percentile(timings, 50))
            peer_p99.values.append(percentile(timings, 99))

        try:
            alternate(repeats, [run_ours, run_peer])
        finally:
            loop.run_until_complete(ours.close())
    ratio = ours_p50.median / peer_p50.median
    return report(
        "turn_overhead",
        f"Turn overhead: {turns} turns per run after {warmup} warm-up, {repeats} alternated "
        f"repeats; {MEMORIES} memories, {DOCUMENTS} documents",
        [ours_p50, ours_p99, peer_p50, peer_p99, statements],
        [
            Goal(f"ours p50 <= {GOAL_RATIO:.0f}x peer p50", ratio <= GOAL_RATIO, f"{ratio:.1f}x"),
            Goal(
                f"ours p99 <= {GOAL_P99_MS:.0f} ms",
                ours_p99.median <= GOAL_P99_MS,
                f"median p99 {ours_p99.median:.1f} ms",
            ),
            Goal(
                "<= 12 checkpointer statements per turn",
                statements.median <= 12,
                f"{statements.median:.1f}",
            ),
        ],
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.exit(main(args.turns, args.warmup, args.repeats))
