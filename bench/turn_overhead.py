"""Turn overhead: one SMS turn through the real graph vs LangGraph's own floor.

* full graph: `graph.graph.builder` compiled with the real AsyncSqliteSaver
  (`stores.checkpointer.open_checkpointer`) on a temp SQLite file migrated with
  `stores.migrate.upgrade`, the offline planner, and a registered user. The texts alternate
  "note: x" / "notes" / "hi" (a write tool, a read tool, a direct answer) on one thread.
* baseline: a hand-written StateGraph of 7 no-op async nodes with InMemorySaver. This is the
  cost of LangGraph itself for a turn of similar length, with nothing stored on disk.

Both warm up first, then run N turns each, timed one at a time. Run from the repo root:

    .venv/bin/python bench/turn_overhead.py [--turns 300] [--warmup 30]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypedDict

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# Tracing would time LangSmith's client, not ours.
for _name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2"):
    os.environ.pop(_name, None)

from langchain_core.messages import HumanMessage  # noqa: E402
from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.graph import END, START, StateGraph  # noqa: E402

from graph.context import Context  # noqa: E402
from graph.graph import builder  # noqa: E402
from graph.offline import OfflinePlanner  # noqa: E402
from stores import users  # noqa: E402
from stores.checkpointer import open_checkpointer  # noqa: E402
from stores.clock import SystemClock  # noqa: E402
from stores.db import Database  # noqa: E402
from stores.migrate import upgrade  # noqa: E402

GOAL_P99_MS = 40.0
TEXTS = ("note: x", "notes", "hi")
BASELINE_NODES = 7


def percentile(sorted_ms: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(math.ceil(pct / 100 * len(sorted_ms)), 1)
    return sorted_ms[rank - 1]


Timings = dict[str, list[float]]
"""Milliseconds per turn, by text."""


async def measure(one_turn: Callable[[int], Awaitable[None]], warmup: int, turns: int) -> Timings:
    for i in range(warmup):
        await one_turn(i)
    timings: Timings = {text: [] for text in TEXTS}
    for i in range(warmup, warmup + turns):
        start = time.perf_counter_ns()
        await one_turn(i)
        timings[TEXTS[i % len(TEXTS)]].append((time.perf_counter_ns() - start) / 1e6)
    return timings


def merged(timings: Timings) -> list[float]:
    return sorted(ms for values in timings.values() for ms in values)


async def bench_full_graph(directory: Path, warmup: int, turns: int) -> Timings:
    url = f"sqlite:///{directory / 'assistant.db'}"
    upgrade(url)
    database = Database(url)
    clock = SystemClock()
    try:
        async with database.session() as session:
            user = await users.add_user(
                session, phone="+14155550123", name="Bench", timezone="UTC", clock=clock
            )
        # Everything explicit, so neither .env nor OPENAI_* changes what is measured.
        context = Context(
            user_id=user.id,
            database=database,
            clock=clock,
            chat_model=OfflinePlanner(),
            history_max_messages=40,
        )
        async with open_checkpointer(url) as saver:
            compiled = builder.compile(checkpointer=saver)
            config: Any = {"configurable": {"thread_id": "bench"}}

            async def one_turn(i: int) -> None:
                text = TEXTS[i % len(TEXTS)]
                payload: Any = {"messages": [HumanMessage(text)]}  # as the runner sends it
                result = await compiled.ainvoke(payload, config=config, context=context)
                if result.get("outcome") != "ok" or not result.get("reply"):
                    raise RuntimeError(f"turn {i} ({text!r}) did not succeed: {result!r}")

            return await measure(one_turn, warmup, turns)
    finally:
        await database.dispose()


class BaselineState(TypedDict, total=False):
    text: str


async def _noop(state: BaselineState) -> dict[str, Any]:
    return {}


async def bench_baseline(warmup: int, turns: int) -> Timings:
    graph = StateGraph(BaselineState)
    names = [f"node_{n}" for n in range(BASELINE_NODES)]
    for name in names:
        graph.add_node(name, _noop)
    for a, b in zip([START, *names], [*names, END], strict=True):
        graph.add_edge(a, b)
    compiled = graph.compile(checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "bench"}}

    async def one_turn(i: int) -> None:
        await compiled.ainvoke({"text": TEXTS[i % len(TEXTS)]}, config=config)

    return await measure(one_turn, warmup, turns)


def row(label: str, timings: list[float]) -> str:
    timings = sorted(timings)
    p50, p99 = percentile(timings, 50), percentile(timings, 99)
    mean = sum(timings) / len(timings)
    return f"{label:<34}{p50:>9.2f}{p99:>9.2f}{mean:>9.2f}{timings[-1]:>9.2f}"


async def main(turns: int, warmup: int) -> int:
    with tempfile.TemporaryDirectory(prefix="turn-overhead-") as tmp:
        full_by_text = await bench_full_graph(Path(tmp), warmup, turns)
    full, baseline = merged(full_by_text), merged(await bench_baseline(warmup, turns))

    full_p50, full_p99 = percentile(full, 50), percentile(full, 99)
    base_p50, base_p99 = percentile(baseline, 50), percentile(baseline, 99)
    met = full_p99 <= GOAL_P99_MS
    print(
        f"turn overhead: {turns} turns each after {warmup} warm-up; texts {' / '.join(TEXTS)}\n"
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}\n"
    )
    print(f"{'':<34}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'max ms':>9}")
    print(row("full graph (AsyncSqliteSaver)", full))
    for text, timings in full_by_text.items():
        print(row(f"  {text!r} ({len(timings)})", timings))
    print(row(f"{BASELINE_NODES} no-op nodes (InMemorySaver)", baseline))
    print(f"{'ratio full / baseline':<34}{full_p50 / base_p50:>8.1f}x{full_p99 / base_p99:>8.1f}x")
    print(
        f"\ngoal: full graph p99 <= {GOAL_P99_MS:.0f} ms: "
        f"{'MET' if met else 'NOT MET'} (p99 {full_p99:.2f} ms)"
    )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=300, help="measured turns per graph")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured turns first")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.turns, args.warmup)))
