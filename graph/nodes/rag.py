"""rag: knowledge-base chunks relevant to this turn.

The knowledge base arrives with the memory/RAG work; until then no documents are retrieved.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import State


async def rag(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return {"documents": []}
