"""The `show_help` tool: what the assistant can do, in a text that fits a phone screen.

HELP (the carrier keyword, with the opt-out notice) and "what can you do?" give the same text:
every capability, in at most 2 SMS segments with the notice (tests/graph/test_understanding.py).
"""

from __future__ import annotations

from langchain_core.tools import tool

HELP_TEXT = (
    "Notes: note <x>, notes, find <x>, delete note 2\n"
    "Facts: remember <x>, forget <x>, what do you know\n"
    "Reminders: remind me <x> at 5pm, reminders, cancel <x>, snooze\n"
    "List: add <x>, list, got <x>\n"
    "Me: call me Sam, I'm in Paris, quiet hours 22-7, whoami"
)


@tool
async def show_help() -> str:
    """List what the assistant can do and the commands that work. Use when asked for help."""
    return HELP_TEXT
