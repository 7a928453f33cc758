"""The planner's prompt, laid out for prompt caches.

Servers cache the longest prefix they have seen (llama.cpp's prefix match, OpenAI's prompt
caching from 1,024 tokens). So the request starts with what never changes for a user: the
static instructions (system message) and the tool schemas; then the stored history, which only
grows; the per-turn context (local time, recalled memories, documents, summary) comes last, as a
second system message right before this turn's text. Only the current turn is read anew.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import BaseTool

from graph import prompts
from graph.state import State
from tools import TOOLS


def system_prompt(state: State) -> str:
    """The same text on every turn for one user (their name is all it holds of them)."""
    name = state.user["name"] if state.user else "the user"
    return prompts.SYSTEM_PROMPT.format(name=name)


def turn_context(state: State, now: datetime) -> str:
    """What changes each turn: the local time, the summary, recalled memories and documents."""
    user = state.user or {"name": "the user", "timezone": "UTC"}
    local = now.astimezone(ZoneInfo(user["timezone"]))
    summary = prompts.SUMMARY_BLOCK.format(summary=state.summary) if state.summary else ""
    memories = (
        prompts.MEMORIES_BLOCK.format(
            name=user["name"], memories="\n".join(f"- {m}" for m in state.memories)
        )
        if state.memories
        else ""
    )
    documents = (
        prompts.DOCUMENTS_BLOCK.format(
            documents="\n".join(f"[{d['source']}] {d['text']}" for d in state.documents)
        )
        if state.documents
        else ""
    )
    return prompts.TURN_CONTEXT.format(
        local_time=local.strftime("%a %b %d %Y, %H:%M"),
        timezone=user["timezone"],
        summary_block=summary,
        memories_block=memories,
        documents_block=documents,
    ).strip()


def build_prompt(state: State, now: datetime, history: Sequence[BaseMessage]) -> list[BaseMessage]:
    """[static system, earlier turns, turn context, this turn's text and steps]."""
    start = max((i for i, m in enumerate(history) if isinstance(m, HumanMessage)), default=0)
    context = SystemMessage(content=turn_context(state, now))
    return [
        SystemMessage(content=system_prompt(state)),
        *history[:start],
        context,
        *history[start:],
    ]


_TOPICS: list[tuple[str, tuple[str, ...]]] = [
    (
        r"\bnotes?\b|\bwrite\b|\bsave\b|\bjot\b|\bfind\b|\bsearch\b|\bdelete\b",
        ("save_note", "list_notes", "find_notes", "search_notes", "delete_note"),
    ),
    (
        r"\bremember\b|\bforget\b|\bknow\b|\brecall\b|\bmy \w+ is\b|\bbirthday\b",
        ("remember", "recall", "forget", "list_memories"),
    ),
    (
        r"\bremind|\balarm\b|\btomorrow\b|\btonight\b|\b\d{1,2}(:\d\d)?\s*(am|pm)\b|\bminutes?\b",
        ("set_reminder", "list_reminders", "cancel_reminder"),
    ),
    (
        r"\blist\b|\btodos?\b|\bto-do\b|\bbuy\b|\bdone\b|\bfinished\b|\bshopping\b",
        ("add_todo", "list_todos", "complete_todo", "clear_done_todos"),
    ),
    (
        r"\btime ?zone\b|\bcall me\b|\bmy name\b|\bquiet\b|\btime in\b|\bwho am i\b|\bsettings?\b",
        ("set_timezone", "set_name", "set_quiet_hours", "whoami", "time_in"),
    ),
    (
        r"\bdocs?\b|\bdocuments?\b|\bfiles?\b|\bpdf\b|\bmanual\b|\blease\b|\bpolicy\b",
        ("search_documents",),
    ),
]
_ALWAYS = ("show_help", "recall", "search_notes", "search_documents")


def offered_tools(messages: Sequence[AnyMessage], *, only_relevant: bool) -> list[BaseTool]:
    """Every tool; or, for small models (LLM_RELEVANT_TOOLS_ONLY), the few the text is about
    plus any already called this turn, in the registry's order (a stable schema prefix)."""
    if not only_relevant:
        return TOOLS
    start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    text = messages[start].text.lower() if start >= 0 else ""
    wanted = set(_ALWAYS)
    for pattern, names in _TOPICS:
        if re.search(pattern, text):
            wanted.update(names)
    for message in messages[start + 1 :]:
        if isinstance(message, AIMessage):
            wanted.update(call["name"] for call in message.tool_calls)
    return [tool for tool in TOOLS if tool.name in wanted]
