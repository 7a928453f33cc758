"""The tool registry: every tool the planner may call, for the LLM and the offline planner alike."""

from __future__ import annotations

from langchain_core.tools import BaseTool

from tools.account import set_name, set_quiet_hours, set_timezone, time_in, whoami
from tools.approvals import delete_account, delete_all_notes, forget_everything
from tools.help import show_help
from tools.knowledge import search_documents
from tools.memory import forget, list_memories, recall, remember
from tools.notes import (
    delete_note,
    delete_that_note,
    find_notes,
    list_notes,
    save_note,
    search_notes,
)
from tools.reminders import cancel_reminder, list_reminders, set_reminder
from tools.todos import add_todo, clear_done_todos, complete_todo, list_todos, remove_todo

TOOLS: list[BaseTool] = [show_help, save_note, list_notes, find_notes, delete_note]
TOOLS += [remember, recall, forget, list_memories, search_documents]
TOOLS += [search_notes, delete_that_note, delete_all_notes, forget_everything, delete_account]
TOOLS += [set_reminder, list_reminders, cancel_reminder]
TOOLS += [add_todo, list_todos, complete_todo, remove_todo, clear_done_todos]
TOOLS += [set_timezone, set_name, set_quiet_hours, whoami, time_in]
TOOLS_BY_NAME: dict[str, BaseTool] = {t.name: t for t in TOOLS}
READ_ONLY_TOOLS = frozenset(
    {t.name for t in (show_help, list_notes, find_notes, search_notes, recall, list_memories)}
    | {t.name for t in (search_documents, list_reminders, list_todos, whoami, time_in)}
)
"""Tools that change nothing; every other tool writes (and is run once per turn and call)."""

__all__ = ["READ_ONLY_TOOLS", "TOOLS", "TOOLS_BY_NAME"]
