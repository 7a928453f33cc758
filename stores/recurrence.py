"""Local wall-clock times and RRULE recurrence, DST-safe.

Occurrences are computed in the user's local wall time (naive datetimes, python-dateutil's rrule)
and only then given a zone, so "every Monday at 9" stays at 9:00 across a DST change. A local time
that does not exist (clocks spring forward) moves forward by the gap; one that happens twice
(clocks fall back) is the first of the two.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr


def localize(naive: datetime, timezone: str) -> tuple[datetime, str]:
    """`naive` local wall time in `timezone` as an aware time, and a note when DST moved it."""
    zone = ZoneInfo(timezone)
    aware = naive.replace(tzinfo=zone, fold=0)
    round_trip = aware.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != naive:
        # In the spring-forward gap: fold=0 reads it with the offset from before the change,
        # which lands the same distance past the gap (2:30 -> 3:30).
        return round_trip, (
            f"{clock_text(naive)} doesn't exist that day (the clocks go forward), "
            f"so I'll use {clock_text(round_trip)}"
        )
    if naive.replace(tzinfo=zone, fold=1).utcoffset() != aware.utcoffset():
        return aware, f"{clock_text(naive)} happens twice that night; I'll use the first one"
    return aware, ""


def clock_text(moment: datetime) -> str:
    """5:00 PM"""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def day_text(moment: date) -> str:
    """Thu Nov 26"""
    return f"{moment:%a %b} {moment.day}"


def moment_text(moment: datetime, timezone: str) -> str:
    """Thu Nov 26, 5:00 PM (America/New_York) — always absolute, always with the zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{day_text(local)}, {clock_text(local)} ({timezone})"


def next_occurrence(
    rrule: str, *, start_local: datetime, timezone: str, after: datetime
) -> datetime | None:
    """The first occurrence strictly after `after` (aware), as an aware UTC time; None: no more."""
    rule = rrulestr(f"RRULE:{rrule}", dtstart=start_local.replace(tzinfo=None))
    after_local = after.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    candidate = rule.after(after_local - timedelta(hours=3))  # margin: a DST shift moves times
    while candidate is not None:
        aware, _ = localize(candidate, timezone)
        if aware > after:
            return aware.astimezone(UTC)
        candidate = rule.after(candidate)
    return None


WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def describe_rrule(rrule: str) -> str:
    """ "every Monday", "every day", "every weekday" — for echoes and lists."""
    parts = dict(part.split("=", 1) for part in rrule.split(";") if "=" in part)
    interval = int(parts.get("INTERVAL", "1"))
    freq = parts.get("FREQ", "")
    days = parts.get("BYDAY", "")
    if freq == "WEEKLY" and days:
        codes = days.split(",")
        if codes == ["MO", "TU", "WE", "TH", "FR"]:
            return "every weekday"
        if codes == ["SA", "SU"]:
            return "every weekend day"
        names = [WEEKDAY_NAMES[WEEKDAY_CODES.index(c)] for c in codes]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return f"every {'other ' if interval == 2 else ''}{joined}"
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}.get(freq, "")
    if interval > 1:
        return f"every {interval} {unit}s"
    return f"every {unit}"
