"""The pipeline: normalise -> exact forms (by precedence) -> the request inside a longer text ->
questions -> nearest examples by meaning (with a margin) -> a short clarifying question."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from graph.understanding import meaning
from graph.understanding.intents import BY_NAME, INTENTS, Intent, Tier
from graph.understanding.normalise import (
    Normalised,
    expand_shorthand,
    normalise,
    strip_decoration,
)
from stores.embeddings import TextEmbeddings

LOOKUP = "lookup"
CLARIFY = "clarify"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Reading:
    """What a text means: an intent of the table, LOOKUP (a question to look up), CLARIFY
    (ask which of `alternatives`), or UNKNOWN."""

    intent: str
    tier: Tier
    slots: dict[str, Any] = field(default_factory=dict)
    how: str = "exact"
    alternatives: tuple[str, ...] = ()
    query: str = ""
    score: float = 1.0

    @property
    def row(self) -> Intent | None:
        return BY_NAME.get(self.intent)


_QUESTION_WORD = re.compile(
    r"^(?:what|what's|whats|when|when's|whens|where|where's|wheres|who|who's|whose|which|how"
    r"|how's|why|is|are|am|do|does|did|can|could|will|would|should|have|has|any)\b\s*\S",
    re.IGNORECASE,
)


def looks_like_question(text: str) -> bool:
    norm = normalise(text)
    return text.strip().endswith("?") or bool(_QUESTION_WORD.match(norm.command))


def _match(intent: Intent, norm: Normalised) -> dict[str, Any] | None:
    for form in intent.forms:
        match = form.match(norm.command)
        if match is None:
            continue
        found = intent.read(match) if intent.read else {}
        if found is None:
            continue
        if intent.verbatim and intent.read:
            own = form.match(norm.verbatim)
            own_slots = intent.read(own) if own else None
            if own_slots:
                same = {
                    k: own_slots[k]
                    for k in intent.verbatim
                    if k in own_slots
                    and expand_shorthand(str(own_slots[k])) == str(found.get(k, "")).lower()
                }
                found = {**found, **same}
        return found
    return None


def exact(
    norm: Normalised, *, tiers: tuple[Tier, ...] = (Tier.COMMAND, Tier.SMALL_TALK)
) -> Reading | None:
    """The best row whose form matches, by (tier, rank): precedence is data, not row order."""
    best: tuple[int, int, Intent, dict[str, Any]] | None = None
    for intent in INTENTS:
        if intent.tier not in tiers:
            continue
        if best is not None and (intent.tier, intent.rank) >= (best[0], best[1]):
            continue
        found = _match(intent, norm)
        if found is not None:
            best = (intent.tier, intent.rank, intent, found)
    if best is None:
        return None
    return Reading(intent=best[2].name, tier=best[2].tier, slots=best[3])


_COMMAND_HINT = re.compile(
    r"\b(?:remind\w*|list|todo\w*|notes?|remember|know|told|forget|time ?zone|name|quiet"
    r"|settings|help|commands?|can you|can u|schedule|alarms?|shopping|grocer\w*|buy|need"
    r"|shops?|store|time|who am|plate|pending|coming up|saved|stored|call me|see|show|info"
    r"|about me|able|use|work|do for me|set)\b"
)
_CLAUSE = re.compile(r"(?<=[.!?\n])\s+|,\s+|;\s+|\s+-+\s+|\s+(?:so|but|and then)\s+(?=[A-Za-z])")
_TASK = re.compile(
    r"^(?:i (?:really )?(?:need|have|got|gotta|must|should|want)(?: to)?(?: remember to)?"
    r"|i've got to|don't forget to|i must remember to|gotta)\s+",
    re.IGNORECASE,
)


def _inside(text: str) -> Reading | None:
    """A command in one clause of a longer text ("... anyway. remind me to X at 5", "the
    meeting moved, cancel its reminder"). A reminder whose clause names only the time takes
    its what from the clause before ("I need to buy a gift for Tom, remind me saturday 10am")."""
    clauses = [c for c in _CLAUSE.split(text.strip()) if c and c.strip()]
    if len(clauses) < 2:
        return None
    for index in reversed(range(len(clauses))):
        found = exact(normalise(clauses[index]), tiers=(Tier.COMMAND,))
        if found is None or BY_NAME[found.intent].destructive:
            continue
        slots = dict(found.slots)
        if found.intent == "set_reminder" and not slots.get("what") and index > 0:
            task = _TASK.sub("", strip_decoration(clauses[index - 1]))
            if task:
                slots["what"] = task
        return Reading(intent=found.intent, tier=found.tier, slots=slots, how="sentence")
    closing = exact(normalise(clauses[-1]), tiers=(Tier.SMALL_TALK,))  # "I'm in bed, goodnight"
    return None if closing is None else Reading(**{**closing.__dict__, "how": "sentence"})


_STATEMENT = re.compile(
    r"^(?!my name\b|my time ?zone\b)(?:my|our) [\w' -]+? (?:is|are|'s|was) \S.*$"
)


def _correction(norm: Normalised) -> Reading | None:
    """ "actually my gym locker is 31": a corrected fact is remembered (it supersedes the old
    one on the same subject)."""
    if "actually" not in norm.fillers or not _STATEMENT.match(norm.command):
        return None
    return Reading(intent="remember", tier=Tier.COMMAND, slots={"fact": norm.verbatim})


def read(text: str, *, embeddings: TextEmbeddings | None = None) -> Reading:
    """What `text` means (commands, questions, small talk; compliance words and answers to an
    open question are read by `keywords` and `conversation` first)."""
    norm = normalise(text)
    if not norm.command:
        if text.strip() and set(text.strip()) <= {"?"}:
            return Reading(intent="show_help", tier=Tier.COMMAND)  # "?" asks what is possible
        return Reading(intent=UNKNOWN, tier=Tier.CLARIFY, how="none")
    found = exact(norm) or _inside(text) or _correction(norm)
    if found is not None:
        return found
    question = looks_like_question(text)
    # A question is compared with the commands only when it speaks of what they handle; other
    # questions go straight to the lookups (one embedding per offline turn, theirs).
    compare = embeddings is not None and (not question or _COMMAND_HINT.search(norm.command))
    guesses = meaning.nearest(norm.command, embeddings) if compare and embeddings else []
    by_meaning = _by_meaning(norm, guesses, question=question)
    if by_meaning is not None:
        return by_meaning
    if question:
        return Reading(intent=LOOKUP, tier=Tier.QUESTION, how="question", query=norm.verbatim)
    top = [g for g in guesses if g.intent in BY_NAME and g.score >= meaning.CLOSE][:2]
    if top:
        return Reading(
            intent=CLARIFY,
            tier=Tier.CLARIFY,
            how="meaning",
            alternatives=tuple(g.intent for g in top),
            score=top[0].score,
        )
    nearby = tuple(g.intent for g in guesses if g.intent in BY_NAME)[:2]
    return Reading(intent=UNKNOWN, tier=Tier.CLARIFY, how="none", alternatives=nearby, score=0.0)


def _by_meaning(
    norm: Normalised, guesses: list[meaning.Guess], *, question: bool
) -> Reading | None:
    if not guesses:
        return None
    best = guesses[0]
    runner_up = guesses[1].score if len(guesses) > 1 else 0.0
    if best.score < meaning.SURE or best.score - runner_up < meaning.MARGIN:
        return None
    if best.intent == LOOKUP:
        return Reading(intent=LOOKUP, tier=Tier.QUESTION, how="meaning", query=norm.verbatim)
    if best.intent == UNKNOWN:
        if question:
            return None  # looked up: "I couldn't find anything" is the honest answer
        return Reading(intent=UNKNOWN, tier=Tier.CLARIFY, how="meaning", score=best.score)
    intent = BY_NAME[best.intent]
    if intent.read is None:
        return Reading(intent=intent.name, tier=intent.tier, how="meaning", score=best.score)
    if intent.loose is not None:
        found = intent.loose(norm.verbatim)
        if found is not None:
            return Reading(
                intent=intent.name, tier=intent.tier, slots=found, how="meaning", score=best.score
            )
    if question:
        return None
    return Reading(
        intent=CLARIFY,
        tier=Tier.CLARIFY,
        how="meaning",
        alternatives=tuple(g.intent for g in guesses if g.intent in BY_NAME)[:2],
        score=best.score,
    )
