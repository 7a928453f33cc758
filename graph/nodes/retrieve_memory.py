"""retrieve_memory: the user's long-term memories closest in meaning to this turn's text.

Only facts scoring at least memory_min_score come back (at most memory_top_k); the plan prompt
shows them. A memory store that cannot answer (the embedding model missing, say) costs the turn
its memories, not its reply. The offline planner reads no prompt, so for it nothing is recalled
here (its lookup tools search when a question needs it).
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import State
from stores import memories
from stores.redact import described

log = logging.getLogger(__name__)


def latest_text(state: State) -> str:
    last = next((m for m in reversed(state.messages) if isinstance(m, HumanMessage)), None)
    return last.text.strip() if last is not None else ""


async def retrieve_memory(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    text = latest_text(state)
    if state.user is None or not text or not ctx.planner().generative:
        return {"memories": []}
    try:
        found = await memories.recall(
            ctx.database,
            ctx.embeddings,
            user_id=state.user["id"],
            query=text,
            k=ctx.memory_top_k,
            min_score=ctx.memory_min_score,
            clock=ctx.clock,
        )
    except Exception as error:  # recall is an aid: never fail the turn for it
        log.warning(
            "memory recall failed: %s",
            described(error),
        )
        return {"memories": []}
    zone = ZoneInfo(state.user["timezone"])
    return {
        "memories": [
            f"{r.memory.text} (saved {r.memory.created_at.astimezone(zone):%Y-%m-%d})"
            for r in found
        ]
    }
