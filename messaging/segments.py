"""Replies that respect SMS: GSM-7 when possible, counted in segments, cut to a budget.

A message is billed per segment: GSM-7 fits 160 characters in one segment and 153 per segment
once it is split; a single character outside GSM-7 turns the whole message into UCS-2, 70 and
67 per segment (counted in UTF-16 code units, so an emoji counts two). Typographic punctuation
from LLMs (smart quotes, dashes, ellipsis) is what usually pushes a reply into UCS-2, so it is
replaced first; Markdown, which phones show literally, is flattened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
"""Characters that exist in GSM-7 only through an escape: they cost two septets."""

MAX_MESSAGE_CHARS = 1600
MORE_SUFFIX = " (reply MORE)"

_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2009": " ",
    "\u200a": " ",
    "\u202f": " ",
    "\u2022": "-",
    "\u00b7": "-",
    "\u200b": "",
    "\ufeff": "",
}
_REPLACE = re.compile("|".join(map(re.escape, _REPLACEMENTS)))


def normalise(text: str) -> str:
    """Typographic punctuation to its GSM-7 equivalent; everything else untouched."""
    return _REPLACE.sub(lambda m: _REPLACEMENTS[m.group(0)], text)


def flatten_markdown(text: str) -> str:
    """What a phone would show literally: **bold**, `code`, # headings, [links](url)."""
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r"\1 (\2)", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = re.sub(r"`{1,3}([^`]*)`{1,3}", r"\1", text)
    text = re.sub(r"^\s{0,3}#{1,6}\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"^(\s*)[*+]\s+", r"\1- ", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


@dataclass(frozen=True)
class Encoding:
    name: str  # "GSM-7" or "UCS-2"
    units: int  # septets or UTF-16 code units
    segments: int


def encoding_of(text: str) -> Encoding:
    if is_gsm7(text):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        single, multi, name = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, name = 70, 67, "UCS-2"
    if units <= single:
        return Encoding(name, units, 1 if units else 0)
    return Encoding(name, units, -(-units // multi))


def segments(text: str) -> int:
    return encoding_of(text).segments


def prepare(text: str) -> str:
    """Markdown flattened and punctuation normalised: what we actually send."""
    return normalise(flatten_markdown(text))


@dataclass(frozen=True)
class Page:
    text: str
    rest: str  # "" when nothing is left for MORE


def paginate(text: str, budget_segments: int) -> Page:
    """The first part that fits the budget (with "(reply MORE)" when something is left),
    cut at a sentence boundary when there is one, else at a word."""
    text = prepare(text)
    if segments(text) <= budget_segments and len(text) <= MAX_MESSAGE_CHARS:
        return Page(text, "")
    limit = _longest_prefix(text, budget_segments)
    cut = _boundary(text, limit)
    head, rest = text[:cut].rstrip(), text[cut:].strip()
    return Page(head + MORE_SUFFIX, rest)


def _longest_prefix(text: str, budget: int) -> int:
    """How many characters, plus the MORE suffix, fit in `budget` segments and 1600 chars."""
    low, high = 1, min(len(text), MAX_MESSAGE_CHARS - len(MORE_SUFFIX))
    while low < high:
        middle = (low + high + 1) // 2
        if segments(text[:middle] + MORE_SUFFIX) <= budget:
            low = middle
        else:
            high = middle - 1
    return low


def _boundary(text: str, limit: int) -> int:
    window = text[:limit]
    sentence_ends = [m.end() for m in re.finditer(r"[.!?](?:\s|$)|\n", window)]
    if sentence_ends and sentence_ends[-1] > limit // 3:
        return sentence_ends[-1]
    space = window.rfind(" ")
    return space if space > limit // 3 else limit
