"""The two top tiers, read exactly: compliance words (STOP/START/HELP, carrier rules) and short
answers to a question the assistant asked (YES <code>, no, MORE, snooze, done)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from graph.understanding.normalise import normalise
from tools.approvals import CONFIRMATION  # the tool checks the code with the same pattern

OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT"}
)
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})


def single_word(text: str) -> str:
    """The text as one upper-case word ("stop." -> "STOP"), or "" when it is more."""
    word = re.sub(r"[\s.!?,;:'\"]+$", "", text.strip()).upper()
    return word if re.fullmatch(r"[A-Z]+", word) else ""


def compliance(text: str) -> str | None:
    """ "opt_out", "opt_in" or "help" for the carrier keywords (exactly one word), else None."""
    word = single_word(text)
    if word in OPT_OUT_WORDS:
        return "opt_out"
    if word in OPT_IN_WORDS:
        return "opt_in"
    if word in HELP_WORDS:
        return "help"
    return None


_DENIAL_PHRASE = (
    r"(?:no|nope|nah|no thanks|no thank you|cancel|cancel that|cancel it|don't|do not|stop"
    r"|never mind|forget it|leave it|no don't|abort|not now|keep (?:them|it|everything)"
    r"|don't do it|don't delete|thanks|thank you|wait|hold on)"
)
_DENIAL = re.compile(rf"^{_DENIAL_PHRASE}(?:[\s,.!]+{_DENIAL_PHRASE})*$")


def confirmation_code(text: str) -> str | None:
    """The code of "YES 4821" ("" for a bare yes); None when the text is not a yes."""
    match = CONFIRMATION.match(text)
    if match is None:
        return None
    return match.group("code") or ""


def denies(text: str) -> bool:
    """A plain "no" (or "cancel", "never mind") to a question the assistant asked."""
    return bool(_DENIAL.match(normalise(text).command))


def is_more(text: str) -> bool:
    return single_word(text) == "MORE"


@dataclass(frozen=True)
class Snooze:
    delay: timedelta | None
    """None: "done" rather than a snooze."""


DEFAULT_SNOOZE_MINUTES = 10
_SNOOZE = re.compile(
    r"^(?:snooze|remind me again)(?:\s+(?:for|it|it for|in))?"
    r"(?:\s+(?P<n>\d{1,4}|an?|one|half an?)\s*(?P<unit>m|mins?|minutes?|h|hrs?|hours?|days?)?)?$"
)
_DONE = re.compile(r"^(?:done|did it|finished|i did it|done it|all done|completed|did that)$")


def snooze_or_done(text: str) -> Snooze | None:
    """ "snooze [N]" and "done" (answers to a reminder that just fired)."""
    command = normalise(text).command
    if _DONE.match(command):
        return Snooze(delay=None)
    match = _SNOOZE.match(command)
    if match is None:
        return None
    raw = match.group("n")
    unit = (match.group("unit") or "m").lower()
    if raw is None:
        amount = float(DEFAULT_SNOOZE_MINUTES)
    elif raw.startswith("half"):
        amount = 0.5
    elif raw in ("a", "an", "one"):
        amount = 1.0
    else:
        amount = float(int(raw))
    if unit.startswith("d"):
        return Snooze(delay=timedelta(days=amount))
    if unit.startswith("h"):
        return Snooze(delay=timedelta(hours=amount))
    return Snooze(delay=timedelta(minutes=amount))
