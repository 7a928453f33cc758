"""How people text, undone before anything is matched: case, SMS shorthand, filler words around
the request, emoji, and typos in the command words.

Two forms come out. `command` is lower case with shorthand expanded and command-word typos fixed:
intents are recognised on it. `verbatim` only loses the decoration around the text (emoji,
punctuation, spaces, fillers): free-text slots (a note, a fact) are taken from it when it reads the
same way, so the user's own words are stored as they wrote them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA
from rapidfuzz.process import extractOne

EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d\u2b50\u2b55\u231a-\u23ff"
_LEADING = re.compile(f"^[\\s.!?,;:~*{EMOJI}-]+")
_TRAILING = re.compile(f"[\\s.!?,;:~*{EMOJI}]+$")
_SPACES = re.compile(r"\s+")

SHORTHAND: dict[str, str] = {
    "u": "you", "ya": "you", "yu": "you", "ur": "your", "youre": "you're", "r": "are",
    "pls": "please", "plz": "please", "plse": "please", "pleae": "please", "pleas": "please",
    "tmrw": "tomorrow", "tmr": "tomorrow", "tmrow": "tomorrow", "tmw": "tomorrow",
    "2moro": "tomorrow", "2morrow": "tomorrow", "2mrw": "tomorrow", "tomoz": "tomorrow",
    "tomorow": "tomorrow", "tommorow": "tomorrow", "tommorrow": "tomorrow", "tmorrow": "tomorrow",
    "2day": "today", "tdy": "today", "2nite": "tonight", "tonite": "tonight", "2night": "tonight",
    "abt": "about", "bout": "about", "rn": "right now", "nvm": "never mind", "nm": "never mind",
    "thx": "thanks", "thnx": "thanks", "thanx": "thanks", "tx": "thanks", "ty": "thank you",
    "tysm": "thank you so much", "b4": "before", "mins": "minutes", "min": "minutes",
    "hrs": "hours", "hr": "hours", "wat": "what", "wut": "what", "wht": "what", "whats": "what's",
    "wats": "what's", "whts": "what's", "im": "i'm", "iam": "i am", "dont": "don't",
    "cant": "can't", "wont": "won't", "didnt": "didn't", "doesnt": "doesn't", "isnt": "isn't",
    "ive": "i've", "id": "i'd", "ill": "i'll", "lemme": "let me", "gimme": "give me",
    "wanna": "want to", "gonna": "going to", "gotta": "have to", "msg": "message",
    "txt": "text", "appt": "appointment", "bday": "birthday", "b-day": "birthday",
    "ad": "add", "w/": "with", "tz": "timezone", "gm": "good morning", "gn": "good night",
    "@": "at", "k": "ok", "kk": "ok", "okay": "ok", "okey": "ok", "oki": "ok", "yeah": "yes",
    "yep": "yes", "yup": "yes", "ya.": "yes", "ye": "yes", "nope": "no", "nah": "no",
    "todo": "todo", "to-do": "todo", "lst": "list", "pm.": "pm", "am.": "am", "wk": "week",
    "thru": "through", "til": "until", "till": "until", "cuz": "because", "bc": "because",
    "ppl": "people", "pic": "picture", "info": "info", "remindme": "remind me",
    "whos": "who's", "wheres": "where's", "whens": "when's", "hows": "how's", "its": "it's",
    "thats": "that's", "theres": "there's", "lets": "let's", "shoppin": "shopping",
    "mon.": "monday", "tues": "tuesday", "thurs": "thursday", "wed.": "wednesday",
}  # fmt: skip

LEADING_FILLERS = (
    "hey there", "hi there", "hello there", "hey", "hi", "hello", "yo", "hiya", "ok so", "ok",
    "so", "also", "and", "and also", "but", "actually", "never mind", "oh", "oh and", "um", "umm",
    "uh", "hmm", "well", "btw", "by the way", "sorry", "quick question", "quick q", "just",
    "please", "can you please", "could you please", "can you", "could you", "would you",
    "will you", "would you please", "i want you to", "i need you to", "i'd like you to",
    "i would like you to", "any chance you could", "any chance you can", "any chance",
    "is it possible to", "could you possibly", "would you mind", "you can", "you could",
    "can you please", "ayy", "ay", "aye", "yo yo", "oi", "hey hey", "ok ok", "okay so", "i want to", "i'd like to", "i would like to", "go ahead and", "kindly", "assistant", "bot", "dear", "heads up",
    "quick update", "update", "news", "good news", "oh btw", "so yeah", "right", "ok so yeah",
)  # fmt: skip
TRAILING_FILLERS = (
    "please", "thanks", "thank you", "thanks so much", "thank you so much", "lol", "haha",
    "ok", "for me", "if you can", "if you could", "right now", "now please", "asap", "thx",
    "ty", "cheers", "x", "xx", "xo", "k", "fam", "mate", "buddy", "dude", "bro", "man", "love",
    "hun", "babe", "thanks a lot", "thx a lot", "please and thank you", "pretty please",
)  # fmt: skip

COMMAND_WORDS = (
    "remind", "reminder", "reminders", "remember", "note", "notes", "delete", "cancel", "forget",
    "list", "add", "remove", "find", "search", "timezone", "quiet", "hours", "snooze", "help",
    "whoami", "tomorrow", "tonight", "minutes", "everything", "account", "settings", "memories",
    "shopping", "grocery", "groceries", "tuesday", "wednesday", "thursday", "saturday", "monday",
    "friday", "sunday", "morning", "evening", "afternoon", "todos", "finished", "bought",
    "appointment", "birthday", "what's", "clear", "completed", "todo",
)  # fmt: skip
_KEEP = frozenset(
    [
        "lost",
        "last",
        "fine",
        "dine",
        "mind",
        "nice",
        "none",
        "nose",
        "node",
        "code",
        "mote",
        "vote",
        "bote",
        "near",
        "hear",
        "here",
        "there",
        "where",
        "were",
        "what",
        "when",
        "then",
        "than",
        "that",
        "this",
        "list",
        "note",
        "done",
        "gone",
        "bone",
        "find",
        "fund",
        "kind",
        "wind",
        "lind",
        "add",
        "and",
        "odd",
        "aid",
        "had",
        "has",
        "was",
        "his",
        "him",
        "hers",
        "ours",
        "hear",
        "help",
        "held",
        "hell",
        "hold",
        "holds",
        "hour",
        "our",
        "your",
        "tour",
        "four",
        "pour",
        "sour",
        "remote",
        "notes",
        "nodes",
        "votes",
        "mode",
        "modes",
        "timer",
        "times",
        "time",
        "tine",
        "line",
        "lines",
        "clean",
        "clear",
        "cleat",
        "quite",
        "quit",
        "quiet",
        "quilt",
        "hours",
        "house",
        "horse",
        "mouse",
        "search",
        "searches",
        "cancer",
        "cancels",
        "cancel",
        "canceled",
        "remain",
        "remains",
        "remained",
        "minder",
        "finder",
        "founder",
        "binder",
        "binders",
        "reminds",
        "remind",
        "reminded",
        "reminding",
        "reminder",
        "reminders",
        "rewind",
        "rewinds",
        "forget",
        "forgets",
        "forgot",
        "forgotten",
        "forge",
        "forged",
        "forgive",
        "delete",
        "deleted",
        "deletes",
        "ad",
        "ads",
        "add",
        "adds",
        "added",
        "list",
        "lists",
        "listed",
        "lust",
        "lest",
        "lint",
        "mist",
        "missed",
        "most",
        "must",
        "fist",
        "gist",
        "at",
        "in",
        "on",
        "of",
        "to",
        "it",
        "is",
        "be",
        "by",
        "we",
        "me",
        "my",
        "no",
        "so",
        "do",
        "go",
        "he",
        "us",
        "up",
        "am",
        "pm",
        "an",
        "as",
        "or",
        "if",
    ]
)


@dataclass(frozen=True)
class Normalised:
    command: str
    """Lower case, shorthand expanded, fillers gone, command-word typos fixed."""
    verbatim: str
    """The user's text with only decoration and fillers removed (case and words kept)."""
    fillers: tuple[str, ...] = ()
    """The leading fillers that were removed ("also", "actually", "never mind"...)."""


def strip_decoration(text: str) -> str:
    """Surrounding emoji, punctuation and extra spaces removed (case and inner text kept)."""
    return _TRAILING.sub("", _LEADING.sub("", _SPACES.sub(" ", text).strip()))


def _expand(words: list[str]) -> list[list[str]]:
    """Each word with its shorthand expanded (one word may become two: "rn")."""
    out: list[list[str]] = []
    for word in words:
        bare = word.strip(",.!?;:")
        tail = word[len(word.rstrip(",.!?;:")) :]
        replacement = SHORTHAND.get(bare)
        out.append(f"{replacement}{tail}".split() if replacement is not None else [word])
    return out


def expand_shorthand(text: str) -> str:
    """Lower case with shorthand expanded and typos fixed, as the command form has them (to
    compare a slot's two readings)."""
    words = [_fix_typo(w) for group in _expand(text.lower().split()) for w in group]
    return _COMMA.sub(" ", _PHRASES.sub(lambda m: f"quiet {m.group(1)}", " ".join(words)))


_COMMA = re.compile(r"\s*,\s*")
_PHRASES = re.compile(r"\bquite (hours?|time|mode)\b")


def _strip_fillers(words: list[str], fillers: tuple[str, ...], *, leading: bool) -> list[str]:
    """Fillers at one end; never all the words (a bare "hey" or "thanks" means itself)."""
    taken: list[str] = []
    changed = True
    while changed and len(words) > 1:
        changed = False
        for filler in sorted(fillers, key=len, reverse=True):
            parts = filler.split()
            n = len(parts)
            if len(words) <= n:
                continue
            edge = words[:n] if leading else words[-n:]
            if [w.strip(",.!?;:-") for w in edge] == parts:
                taken.append(filler)
                words = words[n:] if leading else words[:-n]
                changed = True
                break
    return words


def _fix_typo(word: str) -> str:
    bare = word.strip(",.!?;:")
    if len(bare) < 4 or bare in _KEEP or not bare.isalpha() or bare in COMMAND_WORDS:
        return word
    limit = 1 if len(bare) < 7 else 2
    best = extractOne(bare, COMMAND_WORDS, scorer=OSA.distance, score_cutoff=limit)
    if best is None or best[0][0] != bare[0]:
        return word  # typos keep the first letter far more often than not
    return word.replace(bare, best[0])


def _cover(groups: list[list[str]], count: int, *, leading: bool) -> int:
    """How many original words the first (or last) `count` expanded words span; -1 if a
    boundary falls inside one original word."""
    seen = 0
    for index, group in enumerate(groups if leading else reversed(groups)):
        if seen == count:
            return index
        seen += len(group)
        if seen > count:
            return -1
    return len(groups) if seen == count else -1


@lru_cache(maxsize=4096)
def normalise(text: str) -> Normalised:
    verbatim = strip_decoration(text.replace("’", "'").replace("‘", "'"))
    original = verbatim.split()
    groups = _expand([w.lower() for w in original])
    expanded = [w for group in groups for w in group]
    words = _strip_fillers(expanded, LEADING_FILLERS, leading=True)
    lead = len(expanded) - len(words)
    fillers = tuple(w.strip(",.!?;:-") for w in expanded[:lead])
    before_trailing = len(words)
    words = _strip_fillers(words, TRAILING_FILLERS, leading=False)
    trail = before_trailing - len(words)
    if words == ["there"]:  # "hey there" is a greeting, not a filler and "there"
        words, lead = expanded[-2:], lead - 1
    fixed = _PHRASES.sub(lambda m: f"quiet {m.group(1)}", " ".join(_fix_typo(w) for w in words))
    fixed = _COMMA.sub(" ", fixed)  # "perfect, thanks": commas only matter in the user's words
    command = re.sub(r"^[,\-]\s*", "", strip_decoration(fixed))
    first = _cover(groups, lead, leading=True)
    last = _cover(groups, trail, leading=False)
    if first >= 0 and last >= 0 and first < len(original) - last:
        verbatim = strip_decoration(" ".join(original[first : len(original) - last]))
    return Normalised(command=command, verbatim=verbatim, fillers=fillers)


LOOKUP_WORDS: dict[str, str] = {
    "super": "superintendent", "super's": "superintendent's", "apt": "apartment",
    "bldg": "building", "num": "number", "no.": "number", "#": "number", "ph": "phone",
    "addr": "address", "bday": "birthday", "b-day": "birthday", "appt": "appointment",
    "pw": "password", "pwd": "password", "dr": "doctor", "dr's": "doctor's", "mgr": "manager",
    "u": "you", "ur": "your", "abt": "about", "wat": "what", "whats": "what's", "r": "are",
}  # fmt: skip
"""Abbreviations a document spells out ("the super's number" -> superintendent)."""


def lookup_query(text: str) -> str:
    """The question as the lookups should search for it: decoration off, abbreviations
    spelled out, the user's case kept."""
    words = strip_decoration(text).split()
    out = []
    for word in words:
        bare = word.strip(",.!?;:")
        replacement = LOOKUP_WORDS.get(bare.lower())
        out.append(word.replace(bare, replacement) if replacement else word)
    return " ".join(out)
