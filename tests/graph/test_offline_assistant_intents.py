"""The offline planner covers every intent of the assistant's tools deterministically, in the
phrasings below and their variants (case, punctuation, "pls", emoji)."""

import pytest

from graph.offline import understand
from tools import TOOLS_BY_NAME

CASES = [
    ("Remind me to call mom tomorrow at 5pm", "set_reminder",
     {"what": "call mom", "when": "tomorrow at 5pm"}),
    ("remind me tomorrow at 5pm to call mom", "set_reminder",
     {"what": "call mom", "when": "tomorrow at 5pm"}),
    ("Every Monday at 9 remind me to water the plants", "set_reminder",
     {"what": "water the plants", "when": "Every Monday at 9"}),
    ("remind me in 10 minutes to check the oven", "set_reminder",
     {"what": "check the oven", "when": "in 10 minutes"}),
    ("urgent: remind me to call the vet at 11pm", "set_reminder",
     {"what": "call the vet", "when": "at 11pm", "urgent": True}),
    ("remind me to call mom", "set_reminder", {"what": "call mom", "when": ""}),
    ("What are my reminders?", "list_reminders", {}),
    ("reminders", "list_reminders", {}),
    ("cancel the plants one", "cancel_reminder", {"which": "plants"}),
    ("cancel reminder 2", "cancel_reminder", {"which": "2"}),
    ("delete the plants reminder", "cancel_reminder", {"which": "plants"}),
    ("delete that note", "delete_that_note", {}),
    ("delete all my notes", "delete_all_notes", {}),
    ("forget everything", "forget_everything", {}),
    ("delete my account", "delete_account", {}),
    ("cancel my account", "delete_account", {}),
    ("add milk to my list", "add_todo", {"item": "milk"}),
    ("put oat milk on the shopping list", "add_todo", {"item": "oat milk"}),
    ("what's on my list", "list_todos", {}),
    ("done milk", "complete_todo", {"item": "milk"}),
    ("clear done", "clear_done_todos", {}),
    ("I'm in Paris now", "set_timezone", {"place": "Paris"}),
    ("timezone Europe/Paris", "set_timezone", {"place": "Europe/Paris"}),
    ("call me Sam", "set_name", {"name": "Sam"}),
    ("quiet hours 22-7", "set_quiet_hours", {"start": "22", "end": "7"}),
    ("quiet hours 10pm to 7am", "set_quiet_hours", {"start": "10pm", "end": "7am"}),
    ("quiet hours off", "set_quiet_hours", {"start": "0", "end": "0"}),
    ("whoami", "whoami", {}),
    ("What time is it in Tokyo?", "time_in", {"place": "Tokyo"}),
]  # fmt: skip


def variants(text):
    """The phrasing as typed, shouting, with punctuation, with "pls", with emoji."""
    yield text
    yield text.upper() if not any(c.isdigit() for c in text) else text
    yield text.rstrip("?!.") + "!!"
    yield f"  ✨ {text} 🙏 "
    if not text.lower().startswith(("urgent", "every", "done", "what", "i'm", "whoami")):
        yield f"pls {text}"


@pytest.mark.parametrize(("text", "tool", "args"), CASES)
def test_each_intent_and_its_variants_become_the_same_tool_call(text, tool, args):
    for variant in variants(text):
        calls = understand(variant).tool_calls
        assert len(calls) == 1, variant
        assert calls[0]["name"] == tool, variant
        got = calls[0]["args"]
        expected = args
        if variant.isupper():  # the user's words keep their case; compare case-blind
            got = {k: v.lower() if isinstance(v, str) else v for k, v in got.items()}
            expected = {k: v.lower() if isinstance(v, str) else v for k, v in args.items()}
        assert got == expected, variant
        TOOLS_BY_NAME[tool].tool_call_schema.model_validate(calls[0]["args"])


def test_a_question_about_a_note_searches_the_notes_by_meaning():
    names = [c["name"] for c in understand("what was the gate code?").tool_calls]
    assert "search_notes" in names


@pytest.mark.parametrize("text", ["listen to this", "delete", "done", "remind"])
def test_near_misses_are_not_taken_for_assistant_intents(text):
    names = [c["name"] for c in understand(text).tool_calls]
    assert not {"list_todos", "cancel_reminder", "complete_todo", "set_reminder"} & set(names)
