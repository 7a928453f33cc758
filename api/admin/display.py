"""How the admin shows values to a person: times in the timezone of whom they concern."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def local_time(moment: datetime | None, zone: str | None = None) -> str:
    """A stored (UTC) moment in the person's own timezone, with the zone's abbreviation; UTC
    for rows that concern nobody in particular (an unregistered number)."""
    if moment is None:
        return "—"
    try:
        tz = ZoneInfo(zone) if zone else UTC
    except (ZoneInfoNotFoundError, ValueError, OSError):
        tz = UTC
    shown = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(tz)
    return f"{shown:%Y-%m-%d %H:%M} {shown.tzname()}"
