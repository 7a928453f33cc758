"""Todo list tools: add, list, tick off, clear done. The injected user's list only."""

from __future__ import annotations

import re
from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from rapidfuzz import fuzz
from sqlalchemy.ext.asyncio import AsyncSession

from stores import todos as todo_store
from stores.models import Todo
from tools._runtime import context, current_user

MAX_TODO_CHARS = 200
_PARTS = re.compile(r"\s*(?:,|\+|&|\band\b)\s*")


def _singular(text: str) -> str:
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in text.split())


async def _matching(session: AsyncSession, *, user_id: int, item: str) -> list[Todo]:
    """Open items for the words the user used: contained in an item's text, else a close
    spelling ("avocado" for "avocados", "calling the vet" for "call the vet")."""
    found = await todo_store.find_open(session, user_id=user_id, text=item)
    if found:
        return found
    wanted = _singular(item.casefold())
    open_items = await todo_store.find_open(session, user_id=user_id, text="")
    scored = [(fuzz.ratio(wanted, _singular(t.text.casefold())), t) for t in open_items]
    best = max((score for score, _ in scored), default=0)
    return [t for score, t in scored if score >= 85 and score == best]


def _parts(item: str) -> list[str]:
    """ "lemons and bin bags" -> two items (used when the whole is not on the list)."""
    return [p for p in _PARTS.split(item) if p]


@tool
async def add_todo(item: str, runtime: ToolRuntime[Any, Any]) -> str:
    """Add an item to the user's todo / shopping list.

    Args:
        item: the item, e.g. "milk" or "book the dentist".
    """
    item = " ".join(item.split()).strip(" .")
    if not item:
        return "What should I add? E.g. 'add milk to my list'."
    if len(item) > MAX_TODO_CHARS:
        return f"That item is too long (the limit is {MAX_TODO_CHARS} characters)."
    ctx, user = context(runtime), current_user(runtime)
    # "eggs, milk, bread and butter": one item per comma ("bread and butter" stays one).
    items_added = [p.strip(" .") for p in item.split(",") if p.strip(" .")] or [item]
    if any(len(p.split()) > 6 for p in items_added):
        items_added = [item]
    async with ctx.database.session() as session:
        # An item already open is not added again: a turn replayed after a crash (or a model
        # repeating itself) leaves one "milk", not two.
        already = await todo_store.find_open(session, user_id=user["id"], text="")
        open_now = {t.text.casefold() for t in already}
        new = [text for text in items_added if text.casefold() not in open_now]
        for text in new:
            await todo_store.add_todo(session, user_id=user["id"], text=text, clock=ctx.clock)
        items = await todo_store.list_todos(session, user_id=user["id"])
    open_count = sum(1 for t in items if not t.done)
    if not new:
        verb = "is" if len(items_added) == 1 else "are"
        return f"{', '.join(items_added)} {verb} already on your list ({open_count} to do)."
    return f"Added {', '.join(new)} to your list ({open_count} to do)."


@tool
async def list_todos(runtime: ToolRuntime[Any, Any]) -> str:
    """Show the user's todo list: open items, then done ones."""
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        items = await todo_store.list_todos(session, user_id=user["id"])
    if not items:
        return "Your list is empty. Add something with e.g. 'add milk to my list'."
    lines = ["Your list:"]
    lines += [f"{'[x]' if t.done else '[ ]'} {t.text}" for t in items]
    return "\n".join(lines)


@tool
async def complete_todo(item: str, runtime: ToolRuntime[Any, Any]) -> str:
    """Tick an item off the user's todo list.

    Args:
        item: the item or words from it, e.g. "milk".
    """
    item = " ".join(item.split()).strip(" .")
    if not item:
        return "Which item is done? E.g. 'done milk'."
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        found = await _matching(session, user_id=user["id"], item=item)
        exact = [t for t in found if t.text.lower() == item.lower()]
        if len(exact) == 1 or len(found) == 1:
            todo = exact[0] if exact else found[0]
            await todo_store.mark_done(session, todo=todo, clock=ctx.clock)
            return f"Done: {todo.text}."
        if not found and len(_parts(item)) > 1:
            done = []
            for part in _parts(item):
                matches = await _matching(session, user_id=user["id"], item=part)
                if len(matches) == 1:
                    await todo_store.mark_done(session, todo=matches[0], clock=ctx.clock)
                    done.append(matches[0].text)
            if done:
                return f"Done: {', '.join(done)}."
    if not found:
        return f"'{item}' isn't on your list. Text 'list' to see it."
    return "Which one? " + "; ".join(t.text for t in found)


@tool
async def remove_todo(item: str, runtime: ToolRuntime[Any, Any]) -> str:
    """Take one item off the user's todo list without ticking it (they no longer need it).

    Args:
        item: the item or words from it, e.g. "call the plumber".
    """
    item = " ".join(item.split()).strip(" .")
    if not item:
        return "Which item should I remove? E.g. 'remove milk from my list'."
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        found = await _matching(session, user_id=user["id"], item=item)
        exact = [t for t in found if t.text.lower() == item.lower()]
        if len(exact) == 1 or len(found) == 1:
            todo = exact[0] if exact else found[0]
            text = todo.text
            await todo_store.remove(session, todo=todo)
            return f"Removed {text} from your list."
    if not found:
        return f"'{item}' isn't on your list. Text 'list' to see it."
    return "Which one? " + "; ".join(t.text for t in found)


@tool
async def clear_done_todos(runtime: ToolRuntime[Any, Any]) -> str:
    """Remove the items already ticked off the user's todo list."""
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        removed = await todo_store.clear_done(session, user_id=user["id"])
    if not removed:
        return "Nothing on your list is done yet."
    return f"Cleared {removed} done item{'s' if removed != 1 else ''}."
