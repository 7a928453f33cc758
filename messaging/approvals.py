"""Approvals by SMS, runner side: a turn paused by a destructive tool's `interrupt()` (see
tools/approvals.py) is resumed by the conversation's next text.

"YES <code>" is the answer: the paused tool checks the code and the expiry and goes ahead or
says why not. Any other text cancels the pending action first and is then handled as usual, so
a question left open never wedges the conversation.
"""

from __future__ import annotations

from typing import Any

from langgraph.types import Command

from graph.understanding.answers import confirmation_code, denies
from tools.approvals import ACCOUNT_DELETED, APPROVAL_KIND

__all__ = [
    "ACCOUNT_DELETED",
    "NOTHING_PENDING",
    "answers",
    "deletes_account",
    "is_stray_code",
    "pending",
    "question",
    "settle",
]

NOTHING_PENDING = (
    "There's nothing waiting for a YES (codes expire after 10 minutes), so nothing was changed."
)


def _approval(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict) and value.get("kind") == APPROVAL_KIND:
        return value
    return None


async def pending(graph: Any, config: Any) -> dict[str, Any] | None:
    """The approval the conversation's last turn is waiting for, if any."""
    snapshot = await graph.aget_state(config)
    for task in snapshot.tasks:
        for paused in task.interrupts:
            asked = _approval(paused.value)
            if asked is not None:
                return asked
    return None


def question(final: dict[str, Any]) -> str | None:
    """The question to text when the turn stopped at an approval (the graph has no reply)."""
    for paused in final.get("__interrupt__", ()):
        asked = _approval(paused.value)
        if asked is not None:
            return str(asked["question"])
    return None


def answers(text: str) -> bool:
    """Whether the text is an answer to the question ("YES 4821", also a wrong or missing
    code, or a plain "no") rather than something new to handle. A "no" cancels and that is
    the whole reply."""
    return confirmation_code(text) is not None or denies(text)


def is_stray_code(text: str) -> bool:
    """ "YES 4821" with no question pending: answered by us, not left to a model's guess.
    (A bare "yes" may answer a model's own question, so it goes on to the planner.)"""
    return bool(confirmation_code(text))


async def settle(graph: Any, config: Any, context: Any, *, text: str, asked: dict[str, Any]) -> Any:
    """Resume the paused turn with the user's text; the tool confirms or cancels."""
    return await graph.ainvoke(
        Command(resume={"text": text, "asked": asked}), config, context=context
    )


def deletes_account(final: dict[str, Any]) -> bool:
    """Whether the turn ended with the user confirming "delete my account"."""
    return final.get("outcome") == ACCOUNT_DELETED
