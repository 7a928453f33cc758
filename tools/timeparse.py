"""Natural-language times in the user's zone: "tomorrow at 5pm", "every Monday at 9", "in 10 min".

Dates ("Dec 3", "next Friday", "3rd of December") are read by dateparser; time of day, relative
offsets and recurrence are read here, because dateparser guesses where we must ask ("at 9" comes
back as September). Ambiguous or past times raise TimeQuestion with the question to text back:
- a bare hour 1-6 ("at 5") could be morning or evening: asked. 7-11 means morning, 12 noon,
  13-23 and 00:xx are 24-hour clock; "tonight"/"evening"/"afternoon" make it PM.
- a date without a time, or a time already past, is asked about, not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser

from stores.recurrence import (
    WEEKDAY_CODES,
    clock_text,
    day_text,
    describe_rrule,
    localize,
    moment_text,
    next_occurrence,
)


class TimeQuestion(ValueError):
    """The time cannot be read without guessing; `question` is what to ask the texter."""

    def __init__(self, question: str) -> None:
        super().__init__(question)
        self.question = question


@dataclass(frozen=True)
class Schedule:
    first: datetime
    """The first occurrence, aware UTC."""
    timezone: str
    rrule: str | None = None
    start_local: datetime | None = None
    """The recurrence's local wall-time start (naive), for the RRULE's DTSTART."""
    note: str = ""
    """What DST did to the time, if anything."""

    def describe(self) -> str:
        text = moment_text(self.first, self.timezone)
        if self.rrule:
            local = self.first.astimezone(ZoneInfo(self.timezone))
            repeat = describe_rrule(self.rrule)
            text = (
                f"{repeat[0].upper()}{repeat[1:]} at {clock_text(local)} "
                f"({self.timezone}), first on {day_text(local)}"
            )
        return f"{text} ({self.note})" if self.note else text


_WEEKDAYS = {
    name: index
    for index, names in enumerate(
        [
            ("monday", "mon", "mondays"),
            ("tuesday", "tue", "tues", "tuesdays"),
            ("wednesday", "wed", "wednesdays"),
            ("thursday", "thu", "thur", "thurs", "thursdays"),
            ("friday", "fri", "fridays"),
            ("saturday", "sat", "saturdays"),
            ("sunday", "sun", "sundays"),
        ]
    )
    for name in names
}
_DAY = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_AMPM = r"(?P<ap>a\.?m\.?|p\.?m\.?)"
_TIME = re.compile(
    rf"\b(?:at\s+)?(?P<h>\d{{1,2}})(?::(?P<m>\d{{2}}))?\s*{_AMPM}"  # 5pm, 5:30 pm
    rf"|\b(?:at\s+)?(?P<h2>\d{{1,2}}):(?P<m2>\d{{2}})\b"  # 17:30, 5:30
    r"|\bat\s+(?P<h3>\d{1,2})\b(?!\s*(?:st|nd|rd|th|/|-))"  # at 9
    r"|\b(?:at\s+)?(?P<word>noon|midday|midnight)\b",
)
_PART_OF_DAY = re.compile(
    r"\b(?P<part>tonight|this evening|evening|afternoon|morning|night|lunchtime)\b"
)
_DEFAULT_PART_TIME = {
    "morning": 9, "afternoon": 15, "evening": 18, "tonight": 20, "night": 20, "lunchtime": 12
}  # fmt: skip
_RELATIVE = re.compile(
    r"\bin\s+(?P<n>\d+|an?|one|two|three|half an?)\s*"
    r"(?P<unit>minutes?|mins?|m|hours?|hrs?|h|days?|weeks?)\b"
)
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}
_RECURRENCE = re.compile(
    r"\b(?:(?P<daily>every\s*day|daily|each day|every morning|every evening|every night)"
    r"|(?P<weekdays>every\s+weekday|weekdays|on weekdays)"
    r"|(?P<weekends>every\s+weekend|weekends|on weekends)"
    r"|(?:every|each)\s+(?P<other>other\s+)?(?P<days>(?:(?:"
    + _DAY
    + r")(?:\s*,\s*|\s+and\s+|\s+)?)+)"
    r"|(?:every|each)\s+(?P<n>\d+)\s+(?P<unit>days|weeks)"
    r"|(?P<weekly>every\s+week|weekly)"
    r"|(?P<monthly>every\s+month|monthly))\b"
)


def _clean(text: str) -> str:
    text = " ".join(text.lower().replace("’", "'").split())
    text = re.sub(r"\b(?:tmrw|tmr|tomorow|tommorow|2moro|tomorrow's)\b", "tomorrow", text)
    # How people say a time: "around 3pm", "5 o'clock", "half past 6", "quarter to 7".
    text = re.sub(r"\b(?:around|about|approximately|approx|roughly|like|ish)\b", " ", text)
    text = re.sub(r"(?<=\d)\s*-?ish\b", "", text)
    text = re.sub(r"\s*\b(?:o'?\s?)?clock\b", "", text)
    text = re.sub(r"\bhalf past (\d{1,2})(?!\d)", r"\1:30", text)
    text = re.sub(r"\bquarter past (\d{1,2})(?!\d)", r"\1:15", text)
    text = re.sub(
        r"\bquarter to (\d{1,2})(?!\d)", lambda m: f"{(int(m.group(1)) - 1) % 12 or 12}:45", text
    )
    text = re.sub(r"\b(?:at )?lunch\b", "at noon", text)
    return " ".join(text.split()).strip(" .!?,")


def _take(pattern: re.Pattern[str], text: str) -> tuple[re.Match[str] | None, str]:
    match = pattern.search(text)
    if match is None:
        return None, text
    return match, " ".join((text[: match.start()] + " " + text[match.end() :]).split())


def _time_of_day(text: str) -> tuple[time | None, str]:
    """The clock time in `text` and the rest; raises TimeQuestion for a bare 1-6."""
    part_match, _ = _take(_PART_OF_DAY, text)
    part = part_match.group("part") if part_match else None
    evening = part in ("tonight", "this evening", "evening", "afternoon", "night")
    match, rest = _take(_TIME, text)
    if match is None:
        if part:
            return time(_DEFAULT_PART_TIME[part.replace("this ", "")]), rest
        return None, rest
    if match.group("word"):
        return (time(0) if match.group("word") == "midnight" else time(12)), rest
    hour_text = match.group("h") or match.group("h2") or match.group("h3")
    hour, minute = int(hour_text), int(match.group("m") or match.group("m2") or 0)
    if minute > 59 or hour > 23:
        raise TimeQuestion(f"{match.group(0).strip()} isn't a time I can read. Try e.g. 5:30pm.")
    if match.group("ap"):
        if hour == 0 or hour > 12:
            raise TimeQuestion(f"{match.group(0).strip()} isn't a time I can read. Try 5pm.")
        pm = match.group("ap").startswith("p")
        hour = hour % 12 + (12 if pm else 0)
    elif hour_text.startswith("0") or hour >= 13 or hour == 0:
        pass  # a 24-hour clock: 09:00, 17:30, 0:15
    elif evening:
        hour = hour % 12 + 12 if hour < 12 else hour
    elif part == "morning" or 7 <= hour <= 12:
        pass  # "at 9" is 9 AM; "at 12" is noon
    else:
        label = f"{hour}:{minute:02d}" if minute else str(hour)
        raise TimeQuestion(
            f"Did you mean {label} AM or {label} PM? Text it again with am or pm, "
            f"e.g. 'at {label}pm'."
        )
    return time(hour, minute), rest


def _recurrence(text: str) -> tuple[str | None, str]:
    match, rest = _take(_RECURRENCE, text)
    if match is None:
        return None, text
    if match.group("daily"):
        return "FREQ=DAILY", rest
    if match.group("weekdays"):
        return "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", rest
    if match.group("weekends"):
        return "FREQ=WEEKLY;BYDAY=SA,SU", rest
    if match.group("days"):
        found = [_WEEKDAYS[d] for d in re.findall(_DAY, match.group("days"))]
        codes = ",".join(WEEKDAY_CODES[i] for i in sorted(set(found)))
        interval = ";INTERVAL=2" if match.group("other") else ""
        return f"FREQ=WEEKLY{interval};BYDAY={codes}", rest
    if match.group("n"):
        freq = "DAILY" if match.group("unit") == "days" else "WEEKLY"
        return f"FREQ={freq};INTERVAL={int(match.group('n'))}", rest
    if match.group("weekly"):
        return "FREQ=WEEKLY", rest
    return "FREQ=MONTHLY", rest


def _relative(text: str, now: datetime) -> datetime | None:
    match = _RELATIVE.search(text)
    if match is None:
        return None
    raw = match.group("n")
    amount = 0.5 if raw.startswith("half") else _NUMBER_WORDS.get(raw) or int(raw)
    unit = match.group("unit")[0]
    if raw.startswith("half") and unit == "m":
        raise TimeQuestion("Half a minute? Give me minutes or hours, e.g. 'in 30 minutes'.")
    seconds = {"m": 60, "h": 3600, "d": 86400, "w": 604800}[unit] * amount
    if seconds <= 0 or seconds > 5 * 365 * 86400:
        raise TimeQuestion("That's not a time I can set. Try e.g. 'in 10 minutes'.")
    return now + timedelta(seconds=seconds)


def _date(text: str, today: date) -> date | None:
    """The calendar date named in `text` (None: none named); raises TimeQuestion if unreadable."""
    text = re.sub(r"\b(?:on|the|of|this coming)\b", " ", text)
    text = re.sub(
        r"\b(?:tonight|this evening|evening|afternoon|morning|night|lunchtime)\b", "", text
    )
    text = " ".join(text.split())
    if not text or text in ("today", "this"):
        return today if text == "today" else None
    if text == "tomorrow":
        return today + timedelta(days=1)
    if text in ("day after tomorrow", "the day after tomorrow"):
        return today + timedelta(days=2)
    weekday = re.fullmatch(rf"(?P<next>next\s+|this\s+)?(?P<day>{_DAY})", text)
    if weekday:
        ahead = (_WEEKDAYS[weekday.group("day")] - today.weekday()) % 7
        if weekday.group("next") and weekday.group("next").startswith("next") and ahead == 0:
            ahead = 7
        return today + timedelta(days=ahead)
    ordinal = re.fullmatch(r"(?P<n>\d{1,2})(?:st|nd|rd|th)", text)
    if ordinal:  # "on the 1st": the next such day of the month (today included)
        return _day_of_month(int(ordinal.group("n")), today)
    if re.search(r"\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", text) is None:
        raise TimeQuestion(f"I couldn't read a date in '{text}'. Try e.g. 'Dec 3 at 5pm'.")
    parsed = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": datetime.combine(today, time(12)),
            "REQUIRE_PARTS": ["day", "month"],
            "PREFER_DAY_OF_MONTH": "first",
        },
    )
    if parsed is None:
        raise TimeQuestion(f"I couldn't read a date in '{text}'. Try e.g. 'Dec 3 at 5pm'.")
    return parsed.date()


def _day_of_month(day: int, today: date) -> date:
    if not 1 <= day <= 31:
        raise TimeQuestion(f"There's no day {day} in a month. Try e.g. 'on the 1st at 9am'.")
    year, month = today.year, today.month
    for _ in range(13):
        try:
            candidate = date(year, month, day)
        except ValueError:  # the 31st in a 30-day month: the next month that has it
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise TimeQuestion(f"I couldn't find a day {day} ahead. Try e.g. 'Dec 3 at 5pm'.")


def _iso(text: str, timezone: str) -> tuple[datetime, str] | None:
    """An ISO 8601 date-time (naive: local to the user); None for anything else."""
    if not re.fullmatch(
        r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?", text
    ):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        return moment, ""
    return localize(moment, timezone)


def parse_when(when: str, *, timezone: str, now: datetime) -> Schedule:
    """Read `when` in `timezone` at `now` (aware). Raises TimeQuestion instead of guessing."""
    text = _clean(when)
    if not text:
        raise TimeQuestion("When should I remind you? E.g. 'tomorrow at 5pm' or 'in 10 minutes'.")
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    exact = _iso(when.strip(), timezone)
    if exact is not None:  # a model may pass an ISO time: "2026-11-26T17:00"
        if exact[0] <= now:
            raise TimeQuestion(
                f"{moment_text(exact[0], timezone)} has already passed. When should it be?"
            )
        return Schedule(first=exact[0].astimezone(UTC), timezone=timezone, note=exact[1])
    rrule, text = _recurrence(text)
    relative = None if rrule else _relative(text, now)
    if relative is not None:
        days_ahead = _RELATIVE.search(text)
        unit = days_ahead.group("unit")[0] if days_ahead else "m"
        clock_then, _ = _time_of_day(_RELATIVE.sub(" ", text)) if unit in "dw" else (None, "")
        if clock_then is not None:  # "in 2 days at 9am": that day, at that time
            day_then = relative.astimezone(zone).date()
            moment, note = localize(datetime.combine(day_then, clock_then), timezone)
            return Schedule(first=moment.astimezone(UTC), timezone=timezone, note=note)
        return Schedule(first=relative.astimezone(UTC), timezone=timezone)
    clock, rest = _time_of_day(text)
    day = _date(rest, local_now.date())
    if "tonight" in text and day is None:
        day = local_now.date()
    if rrule:
        return _recurring(rrule, clock, day, timezone=timezone, now=now)
    if clock is None:
        if day is None:
            raise TimeQuestion(
                "When should I remind you? E.g. 'tomorrow at 5pm' or 'in 10 minutes'."
            )
        raise TimeQuestion(f"What time on {day_text(day)}? E.g. '{day:%b} {day.day} at 9am'.")
    explicit_day = day is not None
    day = day or local_now.date()
    first, note = localize(datetime.combine(day, clock), timezone)
    if first <= now:
        if explicit_day:
            raise TimeQuestion(
                f"{moment_text(first, timezone)} has already passed. When should it be instead?"
            )
        tomorrow, _ = localize(datetime.combine(day + timedelta(days=1), clock), timezone)
        raise TimeQuestion(
            f"{clock_text(first)} today has already passed. Did you mean tomorrow, "
            f"{moment_text(tomorrow, timezone)}? Text it again with 'tomorrow'."
        )
    return Schedule(first=first.astimezone(UTC), timezone=timezone, note=note)


def _recurring(
    rrule: str, clock: time | None, day: date | None, *, timezone: str, now: datetime
) -> Schedule:
    if clock is None:
        raise TimeQuestion(
            f"At what time, {describe_rrule(rrule)}? E.g. '{describe_rrule(rrule)} at 9am'."
        )
    local_now = now.astimezone(ZoneInfo(timezone))
    start_day = day or local_now.date()
    if "BYDAY" not in rrule and rrule.startswith("FREQ=WEEKLY") and day is None:
        start_day = local_now.date()
    start_local = datetime.combine(start_day, clock)
    after = now - timedelta(microseconds=1)
    first = next_occurrence(rrule, start_local=start_local, timezone=timezone, after=after)
    if first is None:  # cannot happen for unbounded rules; kept for safety
        raise TimeQuestion("That repeat never happens. Try e.g. 'every Monday at 9'.")
    _, note = localize(first.astimezone(ZoneInfo(timezone)).replace(tzinfo=None), timezone)
    return Schedule(first=first, timezone=timezone, rrule=rrule, start_local=start_local, note=note)
