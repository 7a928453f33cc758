"""Slot readers: what/when of a reminder, list items, names, places. Each returns None when
what it was given is not really that slot ("call me tomorrow" names nobody), so the intent does
not fire on it."""

from __future__ import annotations

import re
from typing import Any

from tools.places import find_place, is_major_place, place_in

Slots = dict[str, Any]

_URGENT = re.compile(r"\b(?:urgent(?:ly)?|important)\b[\s:,]*", re.IGNORECASE)
_DAY = (
    r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|rsday|urday|sday)?s?"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_WHEN_WORD = (
    r"(?:today|tonight|tomorrow|morning|afternoon|evening|night|noon|midday|midnight|next|this"
    r"|on|at|in|by|every|each|other|daily|weekly|monthly|weekdays?|weekends?|and|the|of|a|an"
    r"|half|past|quarter|(?:o'?)?clock|ish|lunch|lunchtime|day|after|minutes?|mins?|hours?|hrs?|days?"
    r"|weeks?|months?|one|two|three|around|like|approximately"
    r"|about(?=\s+\d)|from now|later|\d+(?:st|nd|rd|th)?|\d{1,2}:\d{2}"
    r"|\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|am|pm|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}/\d{1,2}(?:/\d{2,4})?|first|second|third|" + _MONTH + "|" + _DAY + r")"
)
_WHEN_START = (
    r"(?:(?:the\s+)?day\s+after\s+tomorrow|today|tonight|tomorrow|next|this|on|at|in|by|every|each"
    r"|daily|weekly|monthly|around"
    r"|weekdays|weekends|noon|midnight|\d{1,2}(?::\d{2})?\s*(?:am|pm)|" + _DAY + r")"
)
_WHEN_PHRASE = rf"{_WHEN_START}(?:[\s,]+{_WHEN_WORD})*"
_CONNECTOR = r"(?:to|about|that|of|for|re|regarding)"
_SUFFIX = re.compile(rf"^(?P<what>.+?)[\s,]+(?P<when>{_WHEN_PHRASE})$", re.IGNORECASE)
_PREFIX = re.compile(
    rf"^(?P<when>{_WHEN_PHRASE})[\s,]+(?:{_CONNECTOR}\s+)(?P<what>.+)$", re.IGNORECASE
)
_PREFIX_BARE = re.compile(
    rf"^(?P<when>{_WHEN_PHRASE})[\s,]+(?P<what>(?!{_WHEN_WORD}\b).+)$", re.IGNORECASE
)
_CLEAR_TIME = re.compile(r"\d\s*(?:am|pm)\b|\d:\d\d|\b(?:noon|midnight|tonight|tomorrow)\b", re.I)
_INNER = re.compile(
    rf"^(?P<what>.+?)[\s,]+(?P<when>{_WHEN_PHRASE})[\s,]+(?P<tail>(?:{_CONNECTOR}\s+)?.+)$",
    re.IGNORECASE,
)


def split_reminder(request: str) -> tuple[str, str]:
    """("call mom", "tomorrow at 5pm") from "to call mom tomorrow at 5pm", from "tomorrow at 5pm
    to call mom" and from "next tuesday at 2:30pm about the dentist". The when is "" when none
    is found; the reminder tool then asks for it."""
    text = " ".join(request.split()).strip(" ,.")
    text = re.sub(r"^2\s+", "to ", text)  # "remind me 2 call mom"
    text = re.sub(
        r"\b(in|at|around) (?:like|about|around|roughly|approx)\s+", r"\1 ", text, flags=re.I
    )
    text = re.sub(r"(?<=\S)[:;]\s+", " ", text)  # "tomorrow 6:30am: run"
    text = re.sub(rf"^{_CONNECTOR}\s+", "", text, flags=re.IGNORECASE)
    text = re.sub(rf"^(?:4|for)\s+(?={_WHEN_START})", "", text, flags=re.IGNORECASE)
    if re.fullmatch(_WHEN_PHRASE, text, flags=re.IGNORECASE):
        return "", text  # only a time: the what is asked for (or known from the request)
    prefix = _PREFIX.match(text)
    if prefix:
        return _what(prefix.group("what")), prefix.group("when").strip(" ,")
    suffix = _SUFFIX.match(text)
    if suffix:
        return _what(suffix.group("what")), suffix.group("when").strip(" ,")
    bare = _PREFIX_BARE.match(text)
    if bare and _CLEAR_TIME.search(bare.group("when")):
        return _what(bare.group("what")), bare.group("when").strip(" ,")  # "tomorrow 7am gym"
    inner = _INNER.match(text)
    if inner and re.match(rf"{_CONNECTOR}\s", inner.group("tail"), re.IGNORECASE):
        # "remind me on the 1st at 9am to pay rent" read as what="on"? No: prefix covers it;
        # this is "call mom at 5pm about the party".
        return _what(f"{inner.group('what')} {inner.group('tail')}"), inner.group("when").strip()
    return _what(text), ""


def _what(text: str) -> str:
    text = re.sub(rf"^{_CONNECTOR}\s+", "", text.strip(" ,."), flags=re.IGNORECASE)
    return text.strip(" ,.")


def reminder(match: re.Match[str]) -> Slots | None:
    """what/when of a reminder request; "urgent" anywhere marks it so."""
    groups = match.groupdict()
    urgent = bool(_URGENT.search(match.group(0)))
    if groups.get("when"):
        what, when = _what(groups["what"]), groups["when"]
    else:
        rest = _URGENT.sub("", groups.get("rest") or "").strip()
        what, when = split_reminder(rest)
    what = _URGENT.sub("", what).strip(" ,")
    if not what or what.lower() in ("me", "me to"):
        what = ""
    if not when and groups.get("nudge"):
        return None  # "text me any time" is no reminder without a time
    if not when and re.match(r"^(?:what|who|where|how|which|why)\b", what, re.IGNORECASE):
        return None  # "remind me what we talked about" asks about the past
    if groups.get("wake") and (not when or not what):
        what, when = "wake up", when or (groups.get("rest") or "")
    args: Slots = {"what": what, "when": _URGENT.sub("", when).strip(" ,")}
    return {**args, "urgent": True} if urgent else args


_WHEN_IN_REF = re.compile(
    rf"\b(?:(?:today|tonight|tomorrow|{_DAY})'?s?|\d{{1,2}}(?::\d\d)?\s*(?:am|pm)|morning|evening)\b\s*",
    re.IGNORECASE,
)


def reminder_ref(which: str) -> Slots | None:
    if which.strip(" ,.").lower() in ("that", "this", "it", "that one", "this one"):
        return None  # "cancel that" answers something; it names no reminder
    which = _WHEN_IN_REF.sub("", which.strip(" ,."))
    which = re.sub(r"^(?:the|my|that|this)\s+", "", which.strip(" ,."), flags=re.IGNORECASE)
    if which.lower() in ("the", "my", ""):
        return {"which": ""}  # "cancel the reminder": the tool knows if there is only one
    which = re.sub(r"\s+(?:one|reminders?)$", "", which, flags=re.IGNORECASE).strip()
    if not which or which.lower() in ("it", "that", "this", "account", "my account"):
        return None
    return {"which": which}


_ARTICLES = re.compile(r"^(?:the|some|a|an|my|more|our)\s+", re.IGNORECASE)


def list_item(item: str) -> Slots | None:
    item = item.strip(" ,.'\"")
    item = re.sub(r"^['\"](.+)['\"]$", r"\1", item)
    if re.match(r"^(?:me|us|you|him|her|them)\b", item, re.IGNORECASE):
        return None  # "buy me a coffee" asks for something else
    item = re.sub(r"\s+(?:please|pls|too|as well|also|again|now)$", "", item, flags=re.IGNORECASE)
    if not item or item.lower() in ("it", "that", "this", "something"):
        return None
    return {"item": item}


def note_query(query: str) -> Slots | None:
    query = re.sub(r"\s+(?:in|from) (?:my |the )?notes?$", "", query.strip(" ,.?"), flags=re.I)
    if not query or re.match(r"^(?:me|us|you)\b", query, re.IGNORECASE):
        return None  # "find me a restaurant" is not about notes
    return {"query": query}


def done_item(item: str) -> Slots | None:
    item = re.sub(r"\s+(?:from|off|on) (?:my|the) (?:\w+ )?list$", "", item.strip(" ,."))
    item = _ARTICLES.sub("", item).strip()
    lowered = item.lower()
    if not item or lowered in ("it", "that", "this", "that's", "thats", "everything", "all"):
        return None
    if re.match(r"^(?:it|that|this|i|you|we|me|a reminder)\b", lowered):
        return None
    return {"item": item}


_NOT_NAMES = re.compile(
    r"^(?:tomorrow|today|tonight|later|back|now|soon|asap|when|if|at|in|on|after|before|a|an"
    r"|the|every|next|this|again|maybe|please|sometime|once|around|anytime|whenever|ok)\b"
    r"|^\d|\d\s*(?:am|pm|a\.m|p\.m)\b|\d:\d\d",  # a time, not a name ("call me 5pm")
    re.IGNORECASE,
)


def person_name(name: str) -> Slots | None:
    """A name is at most four words and not a time: "call me tomorrow" sets nothing."""
    name = re.sub(r"^(?:actually|now|just)\s+", "", name.strip(" ,.!"), flags=re.IGNORECASE)
    name = re.sub(r"^by (?:my )?(?:nickname|name|first name)[\s,:]+", "", name, flags=re.IGNORECASE)
    name = re.sub(r"\s+(?:instead|from now on|please|now|thanks|actually)$", "", name, flags=re.I)
    name = re.sub(r"\s+not\s+\w+$", "", name, flags=re.IGNORECASE)  # "Kim not Ann"
    if re.search(r"\b(?:but|and|or|if|so|when|because|though)$", name, re.IGNORECASE):
        return None  # "call me crazy but": a sentence, not a name
    if not name or _NOT_NAMES.search(name) or len(name.split()) > 4:
        return None
    return {"name": name}


def place_slot(place: str, *, as_given: bool = False) -> Slots | None:
    """A place at the start ("berlin this week" -> "berlin"); a zone name as given. Unknown
    words are not a place ("i'm in a meeting" changes nothing)."""
    place = place.strip(" ,.?!")
    if "/" in place:
        return {"place": place}
    found = find_place(re.sub(r"^(?:the)\s+", "", place, flags=re.IGNORECASE))
    if found is None:
        # "timezone Narnia" is meant as a place: the tool says it doesn't know it.
        return {"place": place} if as_given and place else None
    return {"place": found[0]}


def whole_place(text: str) -> Slots | None:
    """The whole text is a place name ("london", "NYC"): the time there is wanted."""
    text = text.strip(" ,.?!")
    return {"place": text} if is_major_place(text) else None


def place_anywhere(text: str) -> Slots | None:
    found = place_in(text)
    return {"place": found[0]} if found else None


_LEAD = re.compile(
    r"^(?:(?:can|could|would|will) you |please |pls )?(?:need|want|set|make|give|create|add|"
    r"put|send|i need|i want|i'd like)?\s*(?:a |an |me a )?(?:reminder|alarm|alert|nudge|ping)?"
    r"\s*(?:for me )?",
    re.IGNORECASE,
)
_VERB_ME = re.compile(
    r"^(?:ping|text|nudge|alert|buzz|message|msg|tell|wake|get) me(?P<up> up)?\s*", re.I
)


def reminder_loose(text: str) -> Slots | None:
    """A reminder asked for in other words ("ping me in 15 min to take the laundry out",
    "need a reminder for mum's birthday on the 14th at 9am"): read only when a time is found."""
    rest = _VERB_ME.sub("", text.strip())
    woke = bool(_VERB_ME.match(text.strip()) and _VERB_ME.match(text.strip()).group("up"))  # type: ignore[union-attr]
    rest = _LEAD.sub("", rest).strip()
    what, when = split_reminder(rest)
    if not when:
        return None
    if woke and not what:
        what = "wake up"
    return {"what": what or "your reminder", "when": when}


def offered_reminder(text: str) -> Slots | None:
    """what/when when a text names a task and a clear time but asked for nothing."""
    if "?" in text:
        return None
    found = reminder_loose(
        re.sub(r"^(?:i |we )?(?:need|have|got|gotta|must|should)(?: to)?\s+", "", text, flags=re.I)
    )
    if found is None or not _CLEAR_TIME.search(found["when"]) or found["what"] == "your reminder":
        return None
    if re.match(
        r"^(?:i|i'm|im|we|we're|you|u|it|it's|call me|text me|ring me)\b", found["what"], re.I
    ):
        return None  # "call me tomorrow", "i'm in a meeting till 3": not a task
    return found
