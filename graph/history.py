"""A conversation history every OpenAI-compatible server accepts.

OpenAI answers 400 to every later request of a conversation whose history holds an assistant
tool call without a tool message for it ("An assistant message with 'tool_calls' must be
followed by tool messages responding to each 'tool_call_id'"), and to a tool message that
answers no call. Such a history comes from a turn that failed between `plan` and `tools`, or
from a conversation stored before every call got its tool message. `repair_history` is applied
to each prompt right before the model call, so one broken turn never breaks the next ones.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, ToolMessage

log = logging.getLogger(__name__)

NOT_RUN = "Error: this tool call was not run. Ask again if it is still needed."


def call_ids(message: AIMessage) -> list[tuple[str, str]]:
    """(id, tool name) of every call the message asks for, valid or not."""
    calls = [(c.get("id") or "", c["name"]) for c in message.tool_calls]
    calls += [(c.get("id") or "", c.get("name") or "") for c in message.invalid_tool_calls]
    return calls


def repair_history(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The history with a "not run" tool message for every unanswered call, tool messages that
    answer nothing dropped, and calls without an id removed."""
    repaired: list[BaseMessage] = []
    index = 0
    while index < len(messages):
        message = messages[index]
        index += 1
        if isinstance(message, ToolMessage):
            log.warning("dropped a tool message (%s) that answers no call", message.name)
            continue
        if not isinstance(message, AIMessage) or not call_ids(message):
            repaired.append(message)
            continue
        if any(not call_id for call_id, _ in call_ids(message)):
            message = message.model_copy(
                update={
                    "tool_calls": [c for c in message.tool_calls if c.get("id")],
                    "invalid_tool_calls": [c for c in message.invalid_tool_calls if c.get("id")],
                }
            )
        wanted = dict(call_ids(message))
        answers: list[ToolMessage] = []
        while index < len(messages) and isinstance(messages[index], ToolMessage):
            answer = messages[index]
            index += 1
            assert isinstance(answer, ToolMessage)
            if answer.tool_call_id in wanted and answer.tool_call_id not in {
                a.tool_call_id for a in answers
            }:
                answers.append(answer)
        answered = {a.tool_call_id for a in answers}
        missing = [(i, name) for i, name in wanted.items() if i not in answered]
        if missing:
            log.warning(
                "repaired %d unanswered tool call(s): %s",
                len(missing),
                ", ".join(name or "?" for _, name in missing),
            )
        repaired.append(message)
        repaired.extend(answers)
        repaired.extend(
            ToolMessage(NOT_RUN, tool_call_id=call_id, name=name, status="error")
            for call_id, name in missing
        )
    return repaired


def with_unique_call_ids(response: AIMessage, history: Sequence[AnyMessage]) -> AIMessage:
    """Some servers number their calls per request ("call_0" every turn) or leave the id out;
    the id keys a write's idempotency and pairs a call with its result, so a missing or
    repeated one is replaced by a fresh id."""
    seen = {i for m in history if isinstance(m, AIMessage) for i, _ in call_ids(m)}
    changed = False

    def fresh(call_id: str | None) -> str:
        nonlocal changed
        if call_id and call_id not in seen:
            seen.add(call_id)
            return call_id
        changed = True
        new = "call_" + uuid.uuid4().hex[:24]
        seen.add(new)
        return new

    tool_calls = [{**c, "id": fresh(c.get("id"))} for c in response.tool_calls]
    invalid = [{**c, "id": fresh(c.get("id"))} for c in response.invalid_tool_calls]
    if not changed:
        return response
    return response.model_copy(update={"tool_calls": tool_calls, "invalid_tool_calls": invalid})
