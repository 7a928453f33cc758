"""Long-term memory tools: remember, recall, forget, list_memories (the injected user's only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from langchain_core.messages import ToolMessage
from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from langgraph.types import Command

from stores import memories as memory_store
from stores import summaries as summary_store
from tools._runtime import context, current_user

LIST_LIMIT = 15
NOTHING_RECALLED = "I don't have anything saved about that."


def _day(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%b} {local.day}, {local.year}"


@tool
async def remember(fact: str, runtime: ToolRuntime[Any, Any], subject: str | None = None) -> str:
    """Save a durable fact about the user for later (a birthday, an address, a preference).

    A newer fact on the same subject replaces the older one.

    Args:
        fact: the fact as a short sentence, e.g. "Anna's birthday is June 3".
        subject: what it is about, e.g. "Anna's birthday" (optional; read from the fact).
    """
    fact = " ".join(fact.split()).rstrip(".")
    if not fact:
        return "There was nothing to remember. Text: remember <fact>."
    if len(fact) > memory_store.MAX_FACT_CHARS:
        return (
            f"That's too long to remember (the limit is {memory_store.MAX_FACT_CHARS} characters)."
        )
    ctx, user = context(runtime), current_user(runtime)
    saved = await memory_store.remember(
        ctx.database,
        ctx.embeddings,
        user_id=user["id"],
        text=fact,
        subject=subject,
        clock=ctx.clock,
        source_message_sid=getattr(ctx, "message_sid", None),
    )
    if saved.duplicate:
        return f"I already knew that: {saved.memory.text}"
    reply = f"Got it, I'll remember: {saved.memory.text}"
    if saved.superseded:
        reply += f" (instead of: {saved.superseded[-1].text})"
    return reply


@tool(response_format="content_and_artifact")
async def recall(query: str, runtime: ToolRuntime[Any, Any]) -> tuple[str, dict[str, Any]]:
    """Look up what you remember about the user that is relevant to a question.

    Args:
        query: the question or topic, e.g. "wife's birthday".
    """
    ctx, user = context(runtime), current_user(runtime)
    found = await memory_store.recall(
        ctx.database,
        ctx.embeddings,
        user_id=user["id"],
        query=query,
        k=ctx.memory_top_k,
        min_score=ctx.memory_min_score,
        clock=ctx.clock,
    )
    if not found:
        return NOTHING_RECALLED, {"found": 0}
    if len(found) == 1:
        memory = found[0].memory
        told = second_person(memory.text)
        return f"You told me {told} (on {_day(memory.created_at, user['timezone'])})", {"found": 1}
    lines = [
        f"- {second_person(r.memory.text)} ({_day(r.memory.created_at, user['timezone'])})"
        for r in found
    ]
    return "\n".join(["Here's what I remember:", *lines]), {"found": len(found)}


_PERSON = {
    "i": "you", "i'm": "you're", "im": "you're", "i've": "you've", "i'd": "you'd",
    "i'll": "you'll", "me": "you", "my": "your", "mine": "yours", "myself": "yourself",
    "am": "are", "was": "were",
}  # fmt: skip


def second_person(fact: str) -> str:
    """A fact as the user said it, told back to them: "my address is 12 Elm St" -> "your
    address is 12 Elm St" ("am"/"was" only change after "I")."""
    words = fact.split()
    out: list[str] = []
    for index, word in enumerate(words):
        bare = word.strip(",.!?;:").lower()
        after_i = index > 0 and words[index - 1].lower() == "i"
        swap = _PERSON.get(bare)
        if swap is None or (bare in ("am", "was") and not after_i):
            out.append(word)
            continue
        tail = word[len(word.rstrip(",.!?;:")) :]
        out.append(swap + tail)
    text = " ".join(out)
    return text


@tool
async def list_memories(runtime: ToolRuntime[Any, Any]) -> str:
    """List what you remember about the user (their saved facts), newest first, with dates."""
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        total = await memory_store.count_memories(session, user_id=user["id"])
        facts = await memory_store.list_memories(session, user_id=user["id"], limit=LIST_LIMIT)
    if not facts:
        return "I don't have anything saved about you yet. Text: remember <fact>."
    lines = [f"What I know about you ({total}):"]
    lines += [f"- {m.text} ({_day(m.updated_at, user['timezone'])})" for m in facts]
    if total > len(facts):
        lines.append(f"...and {total - len(facts)} more.")
    return "\n".join(lines)


@tool
async def forget(what: str, runtime: ToolRuntime[Any, Any]) -> Command[Any] | str:
    """Forget a saved fact about the user, everywhere (including earlier versions of it).

    Args:
        what: which fact, e.g. "my address" or "Anna's birthday".
    """
    what = " ".join(what.split())
    if not what:
        return "What should I forget? Text: forget <what>, e.g. forget my address."
    ctx, user = context(runtime), current_user(runtime)
    removed = await memory_store.forget(
        ctx.database, ctx.embeddings, user_id=user["id"], query=what, clock=ctx.clock
    )
    if not removed:
        return (
            f"I don't have anything saved about '{what}'. "
            "Text 'what do you know about me' to see what I remember."
        )
    texts = [m.text for m in removed]
    async with ctx.database.session() as session:
        await summary_store.scrub(session, user_id=user["id"], phrases=texts)
    reply = "Forgotten: " + "; ".join(texts)
    state = runtime.state
    summary = state.get("summary") if isinstance(state, dict) else getattr(state, "summary", "")
    update: dict[str, Any] = {
        "messages": [ToolMessage(reply, tool_call_id=runtime.tool_call_id, name="forget")]
    }
    if summary:
        update["summary"] = summary_store.scrub_text(summary, texts)
    return Command(update=update)
