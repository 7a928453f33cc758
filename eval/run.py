"""`make eval`: how well the assistant understands texts without an LLM.

Scores the labelled bank (eval/bank.py) per intent (precision, recall, confusions) with the real
local embedding model, slot accuracy for times and places against a fixed clock, and the
multi-turn conversations (eval/conversations.py) by their effects in a real SQLite database.
Prints a table and ends with one line:

    eval: intents N utterances, accuracy X%; slots Y%; conversations A/B

Exits non-zero below the floors (FLOORS) or on any destructive misfire.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from eval.bank import PLACES, TIMES, cases
from graph.understanding import BY_NAME, CLARIFY, LOOKUP, UNKNOWN, Tier, read
from graph.understanding.normalise import expand_shorthand
from stores.embeddings import LocalMiniLMEmbeddings, TextEmbeddings
from tools.places import zone_for
from tools.timeparse import TimeQuestion, parse_when

FLOORS = {"intents": 97.0, "slots": 90.0, "conversations": 90.0}
NOW = datetime(2026, 11, 25, 19, 0, tzinfo=ZoneInfo("UTC"))  # Wed 14:00 in New York
ZONE = "America/New_York"
NO_COMMAND = {UNKNOWN, CLARIFY, LOOKUP, "greet", "thanks", "acknowledge"}


def predicted_label(text: str, embeddings: TextEmbeddings) -> tuple[str, dict[str, Any]]:
    reading = read(text, embeddings=embeddings)
    if reading.intent in (UNKNOWN, CLARIFY):
        return "none", {}
    return reading.intent.removesuffix("_bare"), reading.slots  # one intent, two rows


def _correct(expected: str, got: str) -> bool:
    if expected == "none":
        return (
            got == "none"
            or got == LOOKUP
            or (BY_NAME.get(got, None) is not None and BY_NAME[got].tier == Tier.SMALL_TALK)
        )
    return expected == got


def _slots_match(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    def norm(value: Any) -> Any:
        return expand_shorthand(value) if isinstance(value, str) else value

    return {k: norm(v) for k, v in expected.items()} == {k: norm(v) for k, v in got.items()}


@dataclass
class IntentScores:
    total: int = 0
    correct: int = 0
    destructive_misfires: list[str] = field(default_factory=list)
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    true_pos: Counter[str] = field(default_factory=Counter)
    predicted: Counter[str] = field(default_factory=Counter)
    expected: Counter[str] = field(default_factory=Counter)
    slot_total: int = 0
    slot_correct: int = 0
    slot_misses: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)


def score_intents(embeddings: TextEmbeddings) -> IntentScores:
    scores = IntentScores()
    for text, expected, slots, _kind in cases():
        got, got_slots = predicted_label(text, embeddings)
        label = got if expected != "none" or not _correct(expected, got) else "none"
        scores.total += 1
        scores.expected[expected] += 1
        scores.predicted[label] += 1
        if _correct(expected, got):
            scores.correct += 1
            scores.true_pos[expected] += 1
            if slots is not None:
                scores.slot_total += 1
                if _slots_match(slots, got_slots):
                    scores.slot_correct += 1
                else:
                    scores.slot_misses.append(f"{text!r}: {got_slots} != {slots}")
        else:
            scores.confusions[(expected, label)] += 1
            scores.misses.append(f"{text!r}: expected {expected}, got {got}")
        row = BY_NAME.get(got)
        if row is not None and row.destructive and got != expected:
            scores.destructive_misfires.append(text)
    return scores


def score_times() -> tuple[int, list[str]]:
    good, misses = 0, []
    for when, expected in TIMES:
        try:
            first = parse_when(when, timezone=ZONE, now=NOW).first
            got = first.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%d %H:%M")
        except TimeQuestion as question:
            got = f"question: {question.question}"
        if got == expected:
            good += 1
        else:
            misses.append(f"{when!r}: {got} != {expected}")
    return good, misses


def score_places(embeddings: TextEmbeddings) -> tuple[int, list[str]]:
    good, misses = 0, []
    for text, expected in PLACES:
        reading = read(text, embeddings=embeddings)
        place = str(reading.slots.get("place", ""))
        got = zone_for(place) if place else None
        if got == expected:
            good += 1
        else:
            misses.append(f"{text!r}: {reading.intent} {place!r} -> {got} != {expected}")
    return good, misses


def _table(scores: IntentScores) -> list[str]:
    lines = [f"{'intent':<20} {'n':>4} {'prec':>6} {'recall':>7}"]
    for name in sorted(scores.expected):
        n = scores.expected[name]
        tp = scores.true_pos[name]
        predicted = scores.predicted[name]
        precision = 100.0 * tp / predicted if predicted else 100.0
        recall = 100.0 * tp / n if n else 100.0
        lines.append(f"{name:<20} {n:>4} {precision:>5.1f}% {recall:>6.1f}%")
    return lines


def main(argv: list[str] | None = None, *, embeddings: TextEmbeddings | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in argv
    model = embeddings or LocalMiniLMEmbeddings()
    scores = score_intents(model)
    times_good, time_misses = score_times()
    places_good, place_misses = score_places(model)
    from eval.conversations import run_all  # the database and graph only for this part

    passed, total, failures = asyncio.run(run_all(model))

    for line in _table(scores):
        print(line)
    if scores.confusions:
        print("confusions (expected -> got: count):")
        for (expected, got), count in scores.confusions.most_common(15):
            print(f"  {expected} -> {got}: {count}")
    if verbose:
        for miss in scores.misses + scores.slot_misses + time_misses + place_misses + failures:
            print("  miss:", miss)
    slot_total = scores.slot_total + len(TIMES) + len(PLACES)
    slot_good = scores.slot_correct + times_good + places_good
    accuracy = 100.0 * scores.correct / scores.total
    slot_pct = 100.0 * slot_good / slot_total
    conv_pct = 100.0 * passed / total if total else 0.0
    print(
        f"slots: intent slots {scores.slot_correct}/{scores.slot_total}, times "
        f"{times_good}/{len(TIMES)}, places {places_good}/{len(PLACES)}; "
        f"destructive misfires: {len(scores.destructive_misfires)}"
    )
    print(
        f"eval: intents {scores.total} utterances, accuracy {accuracy:.1f}%; "
        f"slots {slot_pct:.1f}%; conversations {passed}/{total}"
    )
    failed = (
        accuracy < FLOORS["intents"]
        or slot_pct < FLOORS["slots"]
        or conv_pct < FLOORS["conversations"]
        or scores.destructive_misfires
    )
    if scores.destructive_misfires:
        print("destructive misfires:", scores.destructive_misfires)
    if failed:
        print(f"eval: below the floors {FLOORS} (or a destructive misfire)")
    return 1 if failed else 0


def per_intent() -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for _text, intent, _slots, _kind in cases():
        counts[intent] += 1
    return dict(counts)


if __name__ == "__main__":
    raise SystemExit(main())
