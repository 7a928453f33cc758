"""tools: run the tool calls of the last plan step (LangGraph's ToolNode over the registry).

Every call the model made gets a tool message, so the history stays valid for every server:
invalid arguments, malformed JSON, an unknown tool name, a repeated or one-too-many write all come
back to the model as an error it can act on (within the step limit). A write call identical to
one already made this turn runs once; a turn makes at most MAX_WRITES_PER_TURN writes. Any other
failure ends the turn (the runner answers with a friendly error).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from langchain_core.callbacks.manager import adispatch_custom_event
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.prebuilt import ToolNode
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from graph.state import State
from tools import READ_ONLY_TOOLS, TOOLS, TOOLS_BY_NAME

log = logging.getLogger(__name__)

MAX_WRITES_PER_TURN = 10
INVALID_TOOL_CALL_EVENT = "invalid_tool_call"
UNKNOWN_TOOL = "Error: there is no tool named {name!r}. Use one of the tools you were given."
MALFORMED_ARGUMENTS = (
    "Error: the arguments for {name} were not valid JSON ({error}). "
    "Call it again with a JSON object."
)
ALREADY_DONE = "Already done earlier in this text (not repeated): {result}"
SAME_CALL_TWICE = "Not repeated: the same call is already in this step."
TOO_MANY_WRITES = (
    f"Not done: at most {MAX_WRITES_PER_TURN} changes per text. Tell the user what was done "
    "and ask them to send the rest in a new text."
)


def _signature(call: Mapping[str, Any]) -> str:
    return call["name"] + json.dumps(call.get("args") or {}, sort_keys=True, default=str)


def _this_turn(messages: list[AnyMessage]) -> list[AnyMessage]:
    start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    return messages[start + 1 :]


def _decide(state: Any, call: Mapping[str, Any]) -> str | None:
    """Why this write call must not run (the text for its tool message), or None to run it."""
    messages = state.messages if hasattr(state, "messages") else state["messages"]
    *earlier, current = _this_turn(messages)
    results = {m.tool_call_id: m for m in earlier if isinstance(m, ToolMessage)}
    done: dict[str, str] = {}
    writes = 0
    for message in earlier:
        if not isinstance(message, AIMessage):
            continue
        for previous in message.tool_calls:
            result = results.get(previous.get("id") or "")
            if previous["name"] in READ_ONLY_TOOLS or result is None:
                continue
            if result.status != "error":
                writes += 1
                done.setdefault(_signature(previous), str(result.content))
    signature = _signature(call)
    if signature in done:
        return ALREADY_DONE.format(result=done[signature])
    siblings: set[str] = set()
    for sibling in current.tool_calls if isinstance(current, AIMessage) else []:
        if sibling.get("id") == call.get("id"):
            break
        if sibling["name"] in TOOLS_BY_NAME and sibling["name"] not in READ_ONLY_TOOLS:
            if _signature(sibling) in siblings or _signature(sibling) in done:
                continue
            siblings.add(_signature(sibling))
    if signature in siblings:
        return SAME_CALL_TWICE
    if writes + len(siblings) >= MAX_WRITES_PER_TURN:
        return TOO_MANY_WRITES
    return None


async def _report_invalid(name: str, reason: str) -> None:
    log.warning("invalid tool call from the model: %s (%s)", name[:64] or "?", reason)
    label = name if name in TOOLS_BY_NAME else "unknown"  # a model's made-up name is no label
    with contextlib.suppress(RuntimeError):  # outside a run (a node called directly)
        await adispatch_custom_event(INVALID_TOOL_CALL_EVENT, {"tool": label, "reason": reason})


async def guard(
    request: ToolCallRequest, execute: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command]]
) -> ToolMessage | Command:
    call = request.tool_call
    name = call["name"]
    if request.tool is None:
        await _report_invalid(name, "unknown_tool")
        return ToolMessage(
            UNKNOWN_TOOL.format(name=name[:64]), tool_call_id=call["id"], name=name, status="error"
        )
    if name not in READ_ONLY_TOOLS:
        refusal = _decide(request.state, call)
        if refusal is not None:
            log.info("write call %s not run: %s", name, refusal.split(":")[0])
            return ToolMessage(refusal, tool_call_id=call["id"], name=name, status="error")
    return await execute(request)


_tool_node = ToolNode(TOOLS, name="tools", awrap_tool_call=guard)


async def tools(state: State, config: RunnableConfig) -> Any:
    last = state.messages[-1]
    invalid = last.invalid_tool_calls if isinstance(last, AIMessage) else []
    errors = []
    for bad in invalid:
        name = bad.get("name") or ""
        await _report_invalid(name, "malformed_arguments")
        error = (bad.get("error") or "cannot parse")[:120]
        errors.append(
            ToolMessage(
                MALFORMED_ARGUMENTS.format(name=name or "the tool", error=error),
                tool_call_id=bad.get("id") or "",
                name=name,
                status="error",
            )
        )
    if not (isinstance(last, AIMessage) and last.tool_calls):
        return {"messages": errors}
    output = await _tool_node.ainvoke(state, config)
    if not errors:
        return output
    if isinstance(output, dict):
        return {"messages": [*output["messages"], *errors]}
    return [*output, Command(update={"messages": errors})]
