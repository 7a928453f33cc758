"""What the texter reads when the assistant is not sure: one segment, closest commands first,
never the whole command list and never operator advice."""

from __future__ import annotations

from collections.abc import Sequence

from graph.understanding.intents import BY_NAME

USAGE: dict[str, str] = {
    "set_reminder": "remind me to call mom at 5pm",
    "list_reminders": "reminders",
    "cancel_reminder": "cancel the mom one",
    "add_todo": "add milk to my list",
    "remove_todo": "remove milk from my list",
    "list_todos": "list",
    "complete_todo": "got milk",
    "clear_done_todos": "clear done",
    "set_timezone": "I'm in Paris",
    "time_in": "time in Tokyo",
    "set_name": "call me Sam",
    "set_quiet_hours": "quiet hours 22-7",
    "quiet_hours_off": "quiet hours off",
    "whoami": "whoami",
    "save_note": "note <text>",
    "list_notes": "notes",
    "find_notes": "find <word>",
    "remember": "remember <fact>",
    "list_memories": "what do you know about me",
    "forget": "forget <fact>",
    "show_help": "help",
}
DEFAULT_SUGGESTIONS = ("set_reminder", "add_todo", "save_note")


def clarify(options: Sequence[str]) -> str:
    """ "Did you mean to set a reminder, or to add it to your list? Reply 1 or 2." """
    labels = [BY_NAME[o].label for o in options if o in BY_NAME][:2]
    if len(labels) == 1:
        return f"Did you want me to {labels[0]}? E.g. '{USAGE.get(options[0], 'help')}'."
    return f"Did you want me to {labels[0]}, or to {labels[1]}? Reply 1 or 2."


def fallback(closest: Sequence[str] = ()) -> str:
    """Sorry + the closest commands (or the most used ones) + HELP; fits one segment."""
    names = [n for n in closest if n in USAGE][:2]
    names += [n for n in DEFAULT_SUGGESTIONS if n not in names][: 2 - len(names)]
    examples = " or ".join(f"'{USAGE[n]}'" for n in names)
    return f"Sorry, I didn't get that. Try e.g. {examples}, or text HELP for all I can do."


NOT_FOUND = "I couldn't find anything about that in what you told me, your notes or documents."
NO_REMINDER = "OK, I didn't set it."
