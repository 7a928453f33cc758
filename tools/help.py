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


MORE_HELP = (
    "Reminders: remind me to call mom tomorrow at 5pm (or every Monday at 9); reminders; "
    "cancel the mom one; answer a reminder with snooze 10 or done.\n"
    "List: add milk to my list; what's on my list; done milk; clear done.\n"
    "Settings: I'm in Paris now; call me Sam; quiet hours 22-7; whoami; "
    "what time is it in Tokyo?"
)
"""The rest of what the assistant can do. The HELP keyword's fixed text stays short (it must
fit with the carriers' opt-out notice); asked "what can you do?", the planner gives both."""


@tool
async def show_help() -> str:
    """List what the assistant can do and the commands that work. Use when asked for help."""
    return f"{HELP_TEXT}\n{MORE_HELP}"
