"""Notes tools: save, list, find by keyword, delete. Each acts only on the injected user's notes."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from langchain_core.messages import ToolMessage
from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from stores import notes as notes_store
from stores.models import Note
from tools._runtime import context, current_user, effect_key

MAX_NOTE_CHARS = 1000
LIST_LIMIT = 20


def _line(note: Note) -> str:
    text = note.text if len(note.text) <= 80 else note.text[:77] + "..."
    return f"#{note.number} {text}"


@tool
async def save_note(text: str, runtime: ToolRuntime[Any, Any]) -> str:
    """Save a note for the user.

    Args:
        text: the note, in the user's own words (e.g. "gate code 4412").
    """
    text = " ".join(text.split())
    if not text:
        return "There was nothing to save. Text: note <what to remember>."
    if len(text) > MAX_NOTE_CHARS:
        return f"That note is too long ({len(text)} characters; the limit is {MAX_NOTE_CHARS})."
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        note = await notes_store.add_note(
            session,
            user_id=user["id"],
            text=text,
            clock=ctx.clock,
            source_key=effect_key(runtime),
        )
    return f"Saved note #{note.number}: {note.text}"


@tool
async def list_notes(runtime: ToolRuntime[Any, Any]) -> str:
    """List the user's notes, oldest first, with their numbers."""
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        total = await notes_store.count_notes(session, user_id=user["id"])
        notes = await notes_store.list_notes(session, user_id=user["id"], limit=LIST_LIMIT)
    if not notes:
        return "You have no notes yet. Save one with: note <text>."
    lines = [f"Your notes ({total}):", *(_line(note) for note in notes)]
    if total > len(notes):
        lines.append(f"...and {total - len(notes)} more. Text: find <word> to search.")
    return "\n".join(lines)


@tool
async def find_notes(query: str, runtime: ToolRuntime[Any, Any]) -> str:
    """Find the user's notes containing all the given words (case-insensitive).

    Args:
        query: one or more keywords, e.g. "gate code".
    """
    words = [word for word in query.split() if word]
    if not words:
        return "What should I look for? Text: find <word>."
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        notes = await notes_store.find_notes(session, user_id=user["id"], words=words)
    if not notes:
        return f"No notes match '{query.strip()}'."
    return "\n".join([f"Notes matching '{query.strip()}':", *(_line(note) for note in notes)])


@tool
async def delete_note(number: int, runtime: ToolRuntime[Any, Any]) -> str:
    """Delete one of the user's notes by its number (as shown by list_notes).

    Args:
        number: the note's number, e.g. 3 for "#3".
    """
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        note = await notes_store.delete_note(session, user_id=user["id"], number=number)
    if note is None:
        return f"You have no note #{number}. Text 'notes' to see their numbers."
    return f"Deleted note #{number}: {note.text}"


SEARCH_SCAN = 500
"""How many of the newest notes a search by meaning scores (embedded on the fly)."""
_NOTE_TOOLS = ("save_note", "search_notes", "find_notes", "list_notes")


@tool(response_format="content_and_artifact")
async def search_notes(query: str, runtime: ToolRuntime[Any, Any]) -> tuple[str, dict[str, Any]]:
    """Find the user's notes that answer a question, by meaning (e.g. "what was the gate code?").

    Args:
        query: the question or topic, e.g. "gate code".
    """
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        candidates = await notes_store.newest_notes(session, user_id=user["id"], limit=SEARCH_SCAN)
    if not candidates or not query.strip():
        return "No note answers that.", {"found": 0}
    vectors = await ctx.embeddings.aembed_array([note.text for note in candidates])
    scores = vectors @ await ctx.embeddings.aembed_query_vector(query)
    ranked = sorted(zip(scores.tolist(), candidates, strict=True), key=lambda p: -p[0])
    best = [note for score, note in ranked[:3] if score >= max(ctx.memory_min_score, 0.3)]
    if not best:
        return "No note answers that.", {"found": 0}
    if len(best) == 1 or float(np.max(scores)) - float(ranked[1][0]) > 0.2:
        return f"From your notes: {_line(best[0])}", {"found": 1}
    return "\n".join(["From your notes:", *(_line(n) for n in best)]), {"found": len(best)}


@tool
async def delete_that_note(runtime: ToolRuntime[Any, Any]) -> str:
    """Delete the note just mentioned in this conversation (the last one saved or shown)."""
    state = runtime.state
    messages = state.get("messages", []) if isinstance(state, dict) else state.messages
    shown: list[int] = []
    for message in reversed(messages):
        if isinstance(message, ToolMessage) and message.name in _NOTE_TOOLS:
            shown = [int(n) for n in re.findall(r"#(\d+)", str(message.content))]
            break
    if len(set(shown)) != 1:
        return "Which note? Text 'notes' to see their numbers, then 'delete note <number>'."
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        note = await notes_store.delete_note(session, user_id=user["id"], number=shown[0])
    if note is None:
        return f"Note #{shown[0]} is already gone."
    return f"Deleted note #{shown[0]}: {note.text}"
