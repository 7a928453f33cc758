"""The understanding layer: what a text means, decided in one place.

Precedence (a lower tier wins; `Tier` in intents.py): compliance words (STOP/START/HELP) >
answers to the assistant's open question (YES code, no, MORE, snooze/done, "4pm") > commands >
questions > small talk > clarification. The runner's pre-graph routing (messaging/keywords.py,
messaging/approvals.py) reads the first two tiers with `answers`; the offline planner reads the
rest with `read`, after `conversation` has tried the open question.
"""

from graph.understanding.answers import compliance, denies, is_more, snooze_or_done
from graph.understanding.intents import BY_NAME, INTENTS, Intent, Tier
from graph.understanding.normalise import normalise, strip_decoration
from graph.understanding.reader import CLARIFY, LOOKUP, UNKNOWN, Reading, looks_like_question, read

__all__ = [
    "BY_NAME",
    "CLARIFY",
    "INTENTS",
    "LOOKUP",
    "UNKNOWN",
    "Intent",
    "Reading",
    "Tier",
    "compliance",
    "denies",
    "is_more",
    "looks_like_question",
    "normalise",
    "read",
    "snooze_or_done",
    "strip_decoration",
]
