"""summarize: keep every turn's prompt small by folding old turns into a running summary.

Once the checkpointed history passes `history_token_budget` (estimated tokens) or
`history_max_messages`, the oldest whole turns are folded. Cuts fall only before a
HumanMessage, so no tool call loses its result. Folding goes down to half of each limit, so it
happens every few turns, not on each one. The folded turns are merged into `summary` by the LLM
when one is configured, and by extraction offline: each turn's question and answer, shortened,
keeping the newest lines that fit. They are then removed with RemoveMessage. Every new summary is
also stored in the summaries table.

Token counts are LangChain's offline estimate (about 4 characters a token): no tokenizer
download, and close enough to keep a budget.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.utils import count_tokens_approximately
from langgraph.runtime import Runtime

from graph import prompts
from graph.context import Context
from graph.state import State
from stores.redact import described
from stores.summaries import store_summary

log = logging.getLogger(__name__)

SUMMARY_TIMEOUT_SECONDS = 15.0
"""A slow model folds extractively instead; after-reply work must not hold the conversation."""
LINE_CHARS = 140
"""How much of one side of a folded turn an extractive summary line keeps."""


def count_tokens(messages: list[AnyMessage]) -> int:
    return count_tokens_approximately(messages) if messages else 0


def _last_human(messages: list[AnyMessage]) -> int:
    return max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=0)


def _cut_at_turn(messages: list[AnyMessage], earliest_keep: int) -> int:
    """The first HumanMessage at or after `earliest_keep` (never past the current turn)."""
    last_human = _last_human(messages)
    for index in range(earliest_keep, last_human + 1):
        if isinstance(messages[index], HumanMessage):
            return index
    return last_human


def turns_to_fold(
    messages: list[AnyMessage], limit: int, keep_tokens: int | None = None
) -> list[AnyMessage]:
    """The oldest whole turns to fold so at most `limit` messages (and, when given, about
    `keep_tokens` tokens) remain. The current turn is always kept whole."""
    cut = 0
    if len(messages) > limit:
        cut = _cut_at_turn(messages, len(messages) - limit)
    if keep_tokens is not None:
        kept, earliest = 0, len(messages)
        for index in range(len(messages) - 1, -1, -1):
            kept += count_tokens([messages[index]])
            if kept > keep_tokens:
                break
            earliest = index
        if earliest > 0:
            cut = max(cut, _cut_at_turn(messages, earliest))
    return messages[:cut]


def _shorten(text: str, limit: int = LINE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _turns(messages: list[AnyMessage]) -> list[tuple[str, str]]:
    """(what the user said, what the assistant finally answered) per folded turn."""
    turns: list[tuple[str, str]] = []
    for message in messages:
        if isinstance(message, HumanMessage):
            turns.append((message.text, ""))
        elif isinstance(message, AIMessage) and message.text.strip() and turns:
            turns[-1] = (turns[-1][0], message.text)
    return turns


def extractive_summary(previous: str, folded: list[AnyMessage], max_tokens: int) -> str:
    """The previous summary plus one line per folded turn; the oldest lines go first when the
    whole passes max_tokens."""
    lines = [line for line in previous.splitlines() if line.strip()]
    for said, answered in _turns(folded):
        line = f"- User: {_shorten(said)}"
        if answered:
            line += f" / Assistant: {_shorten(answered)}"
        lines.append(line)
    while len(lines) > 1 and sum(len(line) for line in lines) / 4 > max_tokens:
        lines.pop(0)
    return "\n".join(lines)


def _transcript(folded: list[AnyMessage]) -> str:
    parts = []
    for message in folded:
        if isinstance(message, HumanMessage):
            parts.append(f"User: {message.text}")
        elif isinstance(message, AIMessage) and message.text.strip():
            parts.append(f"Assistant: {message.text}")
        elif isinstance(message, ToolMessage):
            parts.append(f"(tool {message.name}: {_shorten(str(message.content), 300)})")
    return "\n".join(parts)


async def _llm_summary(model: Any, previous: str, folded: list[AnyMessage]) -> str:
    prompt = [
        SystemMessage(prompts.SUMMARIZE_SYSTEM),
        HumanMessage(
            prompts.SUMMARIZE_REQUEST.format(
                previous=previous or "(none yet)", transcript=_transcript(folded)
            )
        ),
    ]
    response = await model.ainvoke(prompt)
    return str(response.text).strip()


async def summarize(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    ctx = runtime.context
    budget = ctx.history_token_budget
    over_budget = count_tokens(state.messages) > budget
    if not over_budget and len(state.messages) <= ctx.history_max_messages:
        return {}
    # Down to half of whichever limit was passed, so folding (an LLM call, with one) happens
    # every few turns rather than on every turn once the history is full.
    folded = turns_to_fold(
        state.messages, max(ctx.history_max_messages // 2, 2), budget // 2 if over_budget else None
    )
    if not folded:
        return {}
    summary_cap = max(budget // 4, 100)
    planner = ctx.planner()
    method = "extractive"
    summary = ""
    if planner.generative:
        try:
            summary = await asyncio.wait_for(
                _llm_summary(planner.model, state.summary, folded), SUMMARY_TIMEOUT_SECONDS
            )
            method = "llm"
        except Exception as error:  # a summary is worth a retry next fold, not a failed turn
            log.warning(
                "LLM summary failed, using the extractive one: %s",
                described(error),
            )
    if not summary:
        summary = extractive_summary(state.summary, folded, summary_cap)
    if state.user is not None and state.conversation_id is not None:
        async with ctx.database.session() as session:
            await store_summary(
                session,
                conversation_id=state.conversation_id,
                user_id=state.user["id"],
                text=summary,
                folded_messages=len(folded),
                method=method,
                clock=ctx.clock,
            )
    return {"messages": [RemoveMessage(id=m.id) for m in folded if m.id], "summary": summary}
