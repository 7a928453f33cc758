"""The model's answer, settled before it enters the history or reaches a texter.

`settle` turns what a server sent into a message every server accepts back: HTML entities
undone, tool calls written as text (or with HTML-escaped arguments) recognised, call ids unique.
`reply_for` picks the words a texter gets when the model stops calling tools: its own text when
there is some, else the words of this turn's tool results, else a short honest apology.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langchain_core.messages.tool import ToolCall

from graph import prompts
from graph.history import with_unique_call_ids
from graph.offline import word_results
from graph.reply_text import readable, tool_calls_in_text, unescape


def _repaired_invalid_calls(response: AIMessage) -> tuple[list[ToolCall], list]:
    """Invalid calls whose arguments parse once HTML entities are undone become valid."""
    fixed: list[ToolCall] = []
    still_invalid = []
    for bad in response.invalid_tool_calls:
        try:
            args = json.loads(unescape(bad.get("args") or "")) if bad.get("args") else {}
        except json.JSONDecodeError:
            args = None
        if bad.get("name") and isinstance(args, dict):
            fixed.append(
                ToolCall(name=bad["name"] or "", args=args, id=bad.get("id"), type="tool_call")
            )
        else:
            still_invalid.append(bad)
    return fixed, still_invalid


def settle(
    response: AIMessage, history: Sequence[AnyMessage], tool_names: Collection[str]
) -> AIMessage:
    text = unescape(response.text)
    fixed, invalid = _repaired_invalid_calls(response)
    calls = [*response.tool_calls, *fixed]
    if not calls and not invalid:
        calls = tool_calls_in_text(text, tool_names)
        if calls:
            text = ""
    settled = response.model_copy(
        update={"content": text, "tool_calls": calls, "invalid_tool_calls": invalid}
    )
    return with_unique_call_ids(settled, history)


def _results_this_turn(messages: Sequence[AnyMessage]) -> list[ToolMessage]:
    results: list[ToolMessage] = []
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            break
        if isinstance(message, ToolMessage) and message.status != "error":
            results.append(message)
    return list(reversed(results))


def reply_for(response: AIMessage, history: Sequence[AnyMessage], *, trusted: bool) -> str:
    """`trusted`: the offline planner wrote it (its "- " lists are meant for the phone)."""
    text = readable(response.text, flatten_bullets=not trusted)
    if text:
        return text
    results = _results_this_turn(history)
    if results:
        return readable(word_results(results).text, flatten_bullets=False) or prompts.NO_ANSWER
    return prompts.NO_ANSWER
