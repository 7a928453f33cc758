"""summarize: keep the checkpointed history bounded.

Older turns are dropped whole (a turn starts at a HumanMessage, so no tool call loses its result)
once the history passes history_max_messages. The memory/RAG work replaces the drop with a
running summary.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AnyMessage, HumanMessage, RemoveMessage
from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import State


def turns_to_fold(messages: list[AnyMessage], limit: int) -> list[AnyMessage]:
    """The oldest messages to drop so at most `limit` remain, cutting only before a HumanMessage."""
    if len(messages) <= limit:
        return []
    earliest_keep = len(messages) - limit
    for index in range(earliest_keep, len(messages)):
        if isinstance(messages[index], HumanMessage):
            return messages[:index]
    # One turn longer than the limit: keep it whole, drop everything before it.
    last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=0)
    return messages[:last_human]


async def summarize(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    folded = turns_to_fold(state.messages, runtime.context.history_max_messages)
    if not folded:
        return {}
    return {"messages": [RemoveMessage(id=m.id) for m in folded if m.id]}
