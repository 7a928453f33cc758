"""The tool registry: every tool the planner may call, for the LLM and the offline planner alike."""

from __future__ import annotations

from langchain_core.tools import BaseTool

from tools.help import show_help
from tools.knowledge import search_documents
from tools.memory import forget, list_memories, recall, remember
from tools.notes import delete_note, find_notes, list_notes, save_note

TOOLS: list[BaseTool] = [show_help, save_note, list_notes, find_notes, delete_note]
TOOLS += [remember, recall, forget, list_memories, search_documents]
TOOLS_BY_NAME: dict[str, BaseTool] = {t.name: t for t in TOOLS}

__all__ = ["TOOLS", "TOOLS_BY_NAME"]
