"""A conversation's checkpoints take the same room at turn 300 as at turn 3."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage
from sqlalchemy import text

from graph.context import Context
from graph.graph import builder
from graph.offline import OfflinePlanner
from messaging.turns import PhasedGraph
from stores.checkpointer import open_checkpointer
from stores.db import Database, is_sqlite
from tests.helpers import add_user

TURNS = 300
TEXTS = ("note: buy milk number {i}", "notes", "hi", "remember my locker is {i}")


async def _stored_bytes(database: Database, thread_id: str) -> tuple[int, int]:
    """(checkpoints kept, bytes of checkpoint rows) for the thread."""
    if is_sqlite(database.url):
        queries = (
            "SELECT count(*), coalesce(sum(length(checkpoint) + length(metadata)), 0) "
            "FROM checkpoints WHERE thread_id = :t",
            "SELECT 0, coalesce(sum(length(value)), 0) FROM writes WHERE thread_id = :t",
        )
    else:
        queries = (
            "SELECT count(*), coalesce(sum(pg_column_size(c.*)), 0) "
            "FROM checkpoints c WHERE thread_id = :t",
            "SELECT 0, coalesce(sum(pg_column_size(w.*)), 0) "
            "FROM checkpoint_writes w WHERE thread_id = :t",
            "SELECT 0, coalesce(sum(pg_column_size(b.*)), 0) "
            "FROM checkpoint_blobs b WHERE thread_id = :t",
        )
    kept, size = 0, 0
    async with database.session() as session:
        for query in queries:
            count, nbytes = (await session.execute(text(query), {"t": thread_id})).one()
            kept += int(count)
            size += int(nbytes)
    return kept, size


async def test_three_hundred_turns_keep_one_checkpoint_under_a_megabyte(database_url, clock):
    database = Database(database_url)
    try:
        user = await add_user(database, clock, "+14155550123")
        context = Context(
            user_id=user.id,
            database=database,
            clock=clock,
            chat_model=OfflinePlanner(),
            history_max_messages=40,
        )
        config: Any = {"configurable": {"thread_id": "300-turns"}}
        async with open_checkpointer(database_url) as saver:
            graph = PhasedGraph(builder.compile(checkpointer=saver))
            sizes = []
            for i in range(TURNS):
                message = HumanMessage(TEXTS[i % len(TEXTS)].format(i=i), id=f"SM{i:032d}")
                result = await graph.ainvoke({"messages": [message]}, config, context=context)
                assert result["reply"]
                if i in (3, TURNS - 1):
                    sizes.append(await _stored_bytes(database, "300-turns"))
            # The last turn is still there for the next one to start from.
            state = await graph.aget_state(config)
            humans = [m for m in state.values["messages"] if isinstance(m, HumanMessage)]
            assert humans[-1].id == f"SM{TURNS - 1:032d}"
    finally:
        await database.dispose()
    (kept_early, early), (kept_late, late) = sizes
    assert kept_early == kept_late == 1
    assert late < 1_000_000
    assert late < 3 * early  # bounded: the history is summarised, old checkpoints are gone
