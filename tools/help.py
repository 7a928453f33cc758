"""The `show_help` tool: what the assistant can do, in a text that fits a phone screen."""

from __future__ import annotations

from langchain_core.tools import tool

HELP_TEXT = (
    "I can keep notes for you:\n"
    "- note <text>: save a note\n"
    "- notes: list them\n"
    "- find <word>: search them\n"
    "- delete note <number>\n"
    "I remember facts too:\n"
    "- remember <fact>, e.g. remember Anna's birthday is June 3\n"
    "- what do you know about me\n"
    "- forget <fact>\n"
    "- ask: when is Anna's birthday?\n"
    "Text HELP any time to see this again."
)


@tool
async def show_help() -> str:
    """List what the assistant can do and the commands that work. Use when asked for help."""
    return HELP_TEXT
