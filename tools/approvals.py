"""Destructive tools ask first: the turn pauses (LangGraph `interrupt()`), the user is texted a
one-time code, and only "YES <code>" within APPROVAL_TTL does it. Anything else cancels.

The runner (api/approvals.py) words the question from the interrupt value and resumes the
paused turn with `Command(resume={"text": <their next text>, "asked": <that value>})`. A resumed
tool runs again from its start, so everything before `interrupt()` must be free of side effects;
the code is derived from the tool call id so both runs agree on it. The result is marked final
(artifact {"final": True}): it is the reply as it stands, with no model call after a YES.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from langgraph.types import interrupt

from stores import erase, notes, todos
from stores import reminders as reminder_store
from stores.outcomes import Outcome
from tools._runtime import context, current_user

APPROVAL_TTL = timedelta(minutes=10)
APPROVAL_KIND = "approval"
CONFIRMATION = re.compile(r"^\W*yes\W*(?P<code>\d{4})?\W*$", re.IGNORECASE)
FINAL = {"final": True}
ACCOUNT_DELETED = Outcome.ACCOUNT_DELETED.value
"""The turn's outcome when the user confirmed deleting their account: the runner removes them
(rows and checkpoints) once the goodbye is on its way."""


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def confirmation_code(tool_call_id: str) -> str:
    digest = int(hashlib.sha256(tool_call_id.encode()).hexdigest(), 16)
    return str(1000 + digest % 9000)


def ask_first(runtime: ToolRuntime[Any, Any], *, action: str, question: str) -> str | None:
    """Pause until the user answers. None: confirmed in time; else why nothing happened."""
    ctx = context(runtime)
    code = confirmation_code(runtime.tool_call_id or "")
    answer = interrupt(
        {
            "kind": APPROVAL_KIND,
            "action": action,
            "code": code,
            "question": f"{question} Reply YES {code} to confirm.",
            "expires_at": (ctx.clock.now() + APPROVAL_TTL).isoformat(),
        }
    )
    answer = answer if isinstance(answer, dict) else {"text": str(answer)}
    asked = answer.get("asked") or {}
    expires_at = datetime.fromisoformat(str(asked.get("expires_at", "1970-01-01T00:00:00+00:00")))
    match = CONFIRMATION.match(str(answer.get("text", "")))
    if match is None:
        return f"Cancelled {action}: nothing was changed."
    if ctx.clock.now() > expires_at:
        return f"That code has expired (codes last 10 minutes), so I didn't go ahead with {action}."
    if match.group("code") != code:
        return f"That code doesn't match, so I cancelled {action}: nothing was changed."
    return None


@tool(response_format="content_and_artifact")
async def delete_all_notes(runtime: ToolRuntime[Any, Any]) -> tuple[str, dict[str, Any]]:
    """Delete ALL of the user's notes (asks them to confirm with a code first)."""
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        count = await notes.count_notes(session, user_id=user["id"])
    if not count:
        return "You have no notes to delete.", FINAL
    plural = "note" if count == 1 else "notes"
    refused = ask_first(
        runtime, action="deleting your notes", question=f"This deletes {count} {plural}."
    )
    if refused:
        return refused, FINAL
    async with ctx.database.session() as session:
        deleted = await erase.delete_all_notes(session, user_id=user["id"])
    return f"Deleted all your notes ({deleted}).", FINAL


@tool(response_format="content_and_artifact")
async def forget_everything(runtime: ToolRuntime[Any, Any]) -> tuple[str, dict[str, Any]]:
    """Forget everything remembered about the user: all saved facts and conversation summaries
    (asks them to confirm with a code first)."""
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        count = await erase.count_memories_all(session, user_id=user["id"])
    plural = "thing" if count == 1 else "things"
    refused = ask_first(
        runtime,
        action="forgetting everything",
        question=f"This forgets the {count} {plural} I know about you and our chat summaries.",
    )
    if refused:
        return refused, FINAL
    forgotten = await erase.forget_everything(ctx.database, user_id=user["id"], clock=ctx.clock)
    return f"Done: I forgot everything ({forgotten} facts).", FINAL


@tool(response_format="content_and_artifact")
async def delete_account(runtime: ToolRuntime[Any, Any]) -> tuple[str, dict[str, Any]]:
    """Delete the user's account and everything in it: notes, reminders, list, memories, and
    the conversation (asks them to confirm with a code first). Only when they ask for it."""
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        note_count = await notes.count_notes(session, user_id=user["id"])
        active = await reminder_store.active_reminders(session, user_id=user["id"])
        items = await todos.list_todos(session, user_id=user["id"])
        facts = await erase.count_memories_all(session, user_id=user["id"])
    contents = ", ".join(
        _count(n, word)
        for n, word in (
            (note_count, "note"),
            (len(active), "reminder"),
            (len(items), "list item"),
            (facts, "fact"),
        )
    )
    refused = ask_first(
        runtime,
        action="deleting your account",
        question=f"This deletes your account and everything in it ({contents}). "
        "To use the assistant again you'd have to be added again.",
    )
    if refused:
        return refused, FINAL
    return "Your account and everything in it are deleted. Goodbye!", {
        **FINAL,
        "outcome": ACCOUNT_DELETED,
    }
