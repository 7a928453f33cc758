"""What a tool may know about its caller: only what the graph injected, never the model's words.

Tools read the user from the graph state (set by load_state from the trusted run context) and the
database and clock from the run context. They duck-type both so tools/ does not import graph/.
"""

from __future__ import annotations

from typing import Any, Protocol

from langgraph.prebuilt import ToolRuntime

from stores.clock import Clock
from stores.db import Database
from stores.embeddings import TextEmbeddings
from stores.settings import Settings


class ToolContext(Protocol):
    settings: Settings
    clock: Clock
    database: Database
    embeddings: TextEmbeddings
    memory_top_k: int
    memory_min_score: float
    rag_top_k: int
    rag_min_score: float


def current_user(runtime: ToolRuntime[Any, Any]) -> dict[str, Any]:
    state = runtime.state
    user = state.get("user") if isinstance(state, dict) else getattr(state, "user", None)
    if not user:
        raise LookupError("tool called without a loaded user")
    return dict(user)


def context(runtime: ToolRuntime[Any, Any]) -> ToolContext:
    return runtime.context
