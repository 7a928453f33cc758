"""retrieve_memory: long-term memories relevant to this turn.

The memory store arrives with the memory/RAG work; until then there is nothing to recall, and the
node says so explicitly rather than keeping stale memories from an earlier turn.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import State


async def retrieve_memory(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return {"memories": []}
