"""Conversation state: the question the assistant left open, and short answers that complete it.

The offline planner marks its own questions on the AIMessage it writes (additional_kwargs
["understanding"]), which the checkpointer keeps with the conversation; the next text is read
against it first ("4pm" after "4 AM or 4 PM?", "yes" after "Did you mean tomorrow?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from graph.understanding.answers import denies
from graph.understanding.intents import BY_NAME
from graph.understanding.normalise import normalise
from graph.understanding.slots import _WHEN_PHRASE

KEY = "understanding"


@dataclass(frozen=True)
class OpenQuestion:
    kind: str
    """ "reminder_time" (a reminder waits for its time) or "clarify" (which of two intents)."""
    data: dict[str, Any]


def mark(message: AIMessage, kind: str, **data: Any) -> AIMessage:
    message.additional_kwargs[KEY] = {"open": kind, **data}
    return message


def open_question(messages: Sequence[BaseMessage]) -> OpenQuestion | None:
    """The question asked by the assistant's last reply before the newest text, if any."""
    seen_human = False
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            if seen_human:
                return None
            seen_human = True
            continue
        if seen_human and isinstance(message, AIMessage) and not message.tool_calls:
            marked = message.additional_kwargs.get(KEY)
            if isinstance(marked, dict) and marked.get("open"):
                data = {k: v for k, v in marked.items() if k != "open"}
                return OpenQuestion(kind=str(marked["open"]), data=data)
            return None
    return None


_AMPM = re.compile(r"^(?:(?:at\s+)?(?P<time>\d{1,2}(?::\d{2})?)\s*)?(?P<ap>am|pm|a\.m\.|p\.m\.)$")
_PART = {"morning": "am", "in the morning": "am", "the morning": "am", "evening": "pm",
         "in the evening": "pm", "the evening": "pm", "afternoon": "pm", "in the afternoon": "pm",
         "night": "pm", "at night": "pm", "tonight": "pm", "the first one": "am",
         "the second one": "pm", "first": "am", "second": "pm"}  # fmt: skip
_BARE_HOUR = re.compile(r"\b(?P<h>\d{1,2}(?::\d{2})?)\b(?!\s*(?:am|pm|a\.m|p\.m|st|nd|rd|th))")
_YES = re.compile(r"^(?:yes|y|yes please|sure|ok|correct|right|yep|that's right|do it|please)$")


def answer_reminder_time(data: dict[str, Any], text: str) -> dict[str, Any] | None:
    """The reminder's arguments completed by the answer; None if the text is no answer."""
    args = dict(data.get("args") or {})
    when = str(args.get("when") or "")
    question = str(data.get("question") or "")
    command = normalise(text).command
    command = re.sub(r"^(?:around|about|at about|at around|like|maybe|make it|say)\s+", "", command)
    ap_match = _AMPM.match(command)
    ap = (ap_match.group("ap")[0] + "m") if ap_match else _PART.get(command)
    if ap is not None and "AM or" in question:
        given = ap_match.group("time") if ap_match and ap_match.group("time") else None
        if given:
            when = _BARE_HOUR.sub(f"{given}{ap}", when, count=1)
        else:
            when = _BARE_HOUR.sub(lambda m: f"{m.group('h')}{ap}", when, count=1)
        return {**args, "when": when}
    if _YES.match(command) and "tomorrow" in question.lower():
        when = re.sub(r"\b(?:today|tonight)\b", "", when).strip()
        return {**args, "when": f"tomorrow {when}".strip()}
    if re.fullmatch(_WHEN_PHRASE, command, flags=re.IGNORECASE) or ap_match:
        if "already passed" in question:
            return {**args, "when": command}
        if re.search(r"\d|noon|midnight|morning|evening|tonight", command) and not re.search(
            r"\d", when
        ):
            return {**args, "when": f"{when} {command}".strip()}
        return {**args, "when": command if not when else f"{when} {command}"}
    return None


def answer_clarify(data: dict[str, Any], text: str) -> str | None:
    """Which of the offered intents the text picks ("the first one", "2", "the list one")."""
    options = [o for o in data.get("options") or () if o in BY_NAME]
    command = normalise(text).command
    if not options:
        return None
    if re.fullmatch(r"(?:the )?(?:first|1|1st|former|top)(?: one)?|yes", command):
        return options[0]
    if len(options) > 1 and re.fullmatch(
        r"(?:the )?(?:second|2|2nd|latter|other|last)(?: one)?", command
    ):
        return options[1]
    for option in options:
        label = BY_NAME[option].label.lower()
        if command and (command in label or label in command):
            return option
    return None


def is_denial(text: str) -> bool:
    return denies(text)


_ORDINALS = {"first": 0, "1st": 0, "one": 0, "second": 1, "2nd": 1, "two": 1, "third": 2,
             "3rd": 2, "three": 2, "fourth": 3, "4th": 3, "last": -1}  # fmt: skip


def answer_which(data: dict[str, Any], text: str) -> str | None:
    """The option a short answer picks: "the first one", "2", "#12", or words of one option."""
    options = [str(o) for o in data.get("options") or ()]
    command = normalise(text).command
    if not options:
        return None
    picked = re.fullmatch(r"(?:the )?(?:#)?(?P<n>\w+)(?: one)?", command)
    if picked:
        word = picked.group("n")
        if word in _ORDINALS and abs(_ORDINALS[word]) <= len(options):
            index = _ORDINALS[word]
            return options[index]
        if word.isdigit():
            if word in options:
                return word  # a reminder's own number
            if 1 <= int(word) <= len(options):
                return options[int(word) - 1]
    matching = [o for o in options if command and command in o.lower()]
    return matching[0] if len(matching) == 1 else None


def continued_item(text: str) -> str | None:
    """The item of "also bananas" / "and some rice too" after a list addition: a short noun
    phrase, not a question or a sentence."""
    norm = normalise(text)
    words = norm.command.split()
    if not words or len(words) > 4 or "?" in text or words[0] in _NOT_ITEM_START:
        return None
    item = re.sub(r"^(?:plus|and|also|some|more)\s+", "", norm.verbatim, flags=re.IGNORECASE)
    item = re.sub(r"\s+(?:too|as well|also|please|pls)$", "", item, flags=re.IGNORECASE)
    return item.strip(" ,.") or None


_NOT_ITEM_START = frozenset(
    [
        "i",
        "you",
        "we",
        "he",
        "she",
        "it",
        "they",
        "what",
        "when",
        "where",
        "who",
        "why",
        "how",
        "is",
        "are",
        "do",
        "does",
        "can",
        "could",
        "will",
        "would",
        "no",
        "yes",
        "ok",
        "okay",
        "thanks",
        "thank",
        "hi",
        "hello",
        "hey",
        "not",
        "don't",
        "never",
    ]
)


def is_yes(text: str) -> bool:
    return bool(_YES.match(normalise(text).command))
