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


def effect_key(runtime: ToolRuntime[Any, Any]) -> str | None:
    """The key that makes a write idempotent per turn and call: a turn replayed after a crash
    runs the tools node again with the same calls and must not write twice. The MessageSid
    makes it unique across turns and users, since servers may number calls per request
    ("call_0" every time) and such ids repeat."""
    call_id = runtime.tool_call_id
    turn = getattr(runtime.context, "message_sid", None)
    if not call_id:
        return None
    return f"{turn}:{call_id}"[:128] if turn else call_id
