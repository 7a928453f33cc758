"""More labelled examples for the nearest-meaning stage, beyond the few in each intent row.

"lookup" examples are questions about what the user told us or their documents; "unknown"
examples are texts that must trigger nothing (they pull look-alikes away from commands).
"""

from __future__ import annotations

EXTRA_EXAMPLES: dict[str, tuple[str, ...]] = {
    "list_reminders": (
        "what am i supposed to remember", "anything scheduled", "what alarms have i got",
        "when is my next reminder", "what's on my schedule", "any upcoming reminders",
    ),
    "list_todos": (
        "what's on the grocery list", "what's on my todo", "shopping list please",
        "what do we need from the store", "what's still to do", "list items",
    ),
    "list_memories": (
        "what have you saved about me", "tell me what you know", "what facts do you have",
        "what do you know abt me", "what do u remember about me",
    ),
    "whoami": (
        "what's my timezone", "what name do you have for me", "who do you think i am",
        "what are my details", "which time zone are you using for me",
    ),
    "show_help": (
        "what can i ask you", "how do i use you", "what are you able to do",
        "list your features", "what commands are there", "i need help",
    ),
    "list_notes": ("read my notes", "what did i write down", "show saved notes"),
    "clear_done_todos": ("clear the ticked off stuff", "remove everything i finished"),
    "quiet_hours_off": ("disable quiet hours", "stop the quiet hours", "no more quiet time"),
    "greet": ("hey hey", "good evening", "hello assistant", "yo what's up"),
    "thanks": ("thank u", "thanks a lot", "many thanks", "ty so much"),
    "acknowledge": ("okay", "alright then", "nice one", "great stuff"),
    "lookup": (
        "when is anna's birthday", "where does bob live", "what's the wifi password",
        "how long is the lease", "what's the gate code", "when is rent due",
        "what's my doctor's phone number", "who is my landlord", "can i have a dog",
    ),
    "unknown": (
        "book me a flight", "what's the weather", "tell me a joke", "play some music",
        "order a pizza", "send money to bob", "call an uber", "i'm bored",
        "what's the score of the game", "translate this to french", "i'm in a meeting",
        "call me tomorrow", "i'll call you later", "can't talk now",
    ),
}  # fmt: skip
