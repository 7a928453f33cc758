"""Checkpoint storage: what one conversation of 300 turns leaves in the checkpointer's tables.

ours: the graph as the runner drives it (messaging.turns.PhasedGraph: a checkpoint after the
tools and at the end of a turn) on `stores.checkpointer.open_checkpointer` (superseded
checkpoints pruned by a trigger).
peer: LangGraph's defaults: the same graph compiled on a plain AsyncSqliteSaver, invoked with
the default durability (a checkpoint after every step, none pruned).
Both use the offline planner on their own migrated SQLite file, with texts cycling through a
note, a list, a greeting and a fact to remember. Each repeat runs ours then the peer.

    .venv/bin/python -m bench.checkpoint_storage [--turns 300] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bench.common import Goal, Series, alternate, bench_settings, report

GOAL_BYTES = 1_000_000
GOAL_STATEMENTS = 12
TEXTS = ("note: buy milk number {i}", "notes", "hi", "remember my locker is {i}")


@asynccontextmanager
async def plain_saver(url: str) -> Any:
    import aiosqlite
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from stores import crypto
    from stores.db import sqlite_path

    serde = crypto.checkpoint_serializer(crypto.keyring())
    async with aiosqlite.connect(str(sqlite_path(url))) as connection:
        saver = AsyncSqliteSaver(connection, serde=serde)
        await saver.setup()
        yield saver


async def conversation(directory: Path, turns: int, lean: bool) -> tuple[float, float]:
    """(bytes stored, checkpointer statements per turn)."""
    from langchain_core.messages import HumanMessage

    from graph.context import Context
    from graph.graph import builder
    from graph.offline import OfflinePlanner
    from messaging.turns import PhasedGraph
    from stores import users
    from stores.checkpointer import open_checkpointer
    from stores.clock import SystemClock
    from stores.db import Database
    from stores.migrate import upgrade
    from tests.fake_embeddings import HashEmbeddings

    url = f"sqlite:///{directory / f'{uuid.uuid4().hex}.db'}"
    await asyncio.to_thread(upgrade, url)
    settings = bench_settings(url)
    database, clock = Database(url), SystemClock()
    async with database.session() as session:
        user = await users.add_user(
            session, phone="+14155550123", name="B", timezone="UTC", clock=clock
        )
    context = Context(
        settings=settings,
        user_id=user.id,
        database=database,
        clock=clock,
        chat_model=OfflinePlanner(),
        embeddings=HashEmbeddings(),
    )
    statements: list[str] = []
    opener = open_checkpointer(url) if lean else plain_saver(url)
    async with opener as saver:
        await saver.conn.set_trace_callback(statements.append)
        compiled = builder.compile(checkpointer=saver)
        graph: Any = PhasedGraph(compiled) if lean else compiled
        config: Any = {"configurable": {"thread_id": "one"}}
        for i in range(turns):
            message = HumanMessage(TEXTS[i % len(TEXTS)].format(i=i), id=f"SM{i:032d}")
            await graph.ainvoke({"messages": [message]}, config, context=context)
        await saver.conn.set_trace_callback(None)
        query = (
            "SELECT (SELECT coalesce(sum(length(checkpoint) + length(metadata)), 0) "
            "FROM checkpoints) + (SELECT coalesce(sum(length(value)), 0) FROM writes)"
        )
        async with saver.conn.execute(query) as cursor:
            (stored,) = await cursor.fetchone()
    await database.dispose()
    # A trigger's statements are reported again under the one that fired it: count once.
    issued = [s for n, s in enumerate(statements) if n == 0 or s != statements[n - 1]]
    return float(stored), len(issued) / turns


def main(turns: int, repeats: int) -> int:
    ours_bytes = Series(f"ours: bytes stored after {turns} turns", "B")
    ours_statements = Series("ours: checkpointer statements per turn", "")
    peer_bytes = Series(f"peer: bytes stored after {turns} turns", "B")
    peer_statements = Series("peer: checkpointer statements per turn", "")
    with tempfile.TemporaryDirectory(prefix="checkpoints-") as tmp:

        def run(lean: bool, size: Series, count: Series) -> Any:
            def once() -> None:
                stored, per_turn = asyncio.run(conversation(Path(tmp), turns, lean))
                size.values.append(stored)
                count.values.append(per_turn)

            return once

        alternate(
            repeats,
            [run(True, ours_bytes, ours_statements), run(False, peer_bytes, peer_statements)],
        )
    return report(
        "checkpoint_storage",
        f"Checkpoint storage: one conversation of {turns} turns, offline planner, SQLite, "
        f"{repeats} alternated repeats",
        [ours_bytes, ours_statements, peer_bytes, peer_statements],
        [
            Goal(
                f"{turns} turns < 1 MB",
                ours_bytes.median < GOAL_BYTES,
                f"{ours_bytes.median / 1000:.0f} KB (peer {peer_bytes.median / 1e6:.1f} MB)",
            ),
            Goal(
                f"<= {GOAL_STATEMENTS} checkpointer statements per turn",
                ours_statements.median <= GOAL_STATEMENTS,
                f"{ours_statements.median:.1f} (peer {peer_statements.median:.1f})",
            ),
        ],
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.exit(main(args.turns, args.repeats))
