"""Settings tools: timezone, name, quiet hours, whoami, and the time somewhere else.

Places become IANA zones without a network, through the gazetteer in tools/places.py.
"""

from __future__ import annotations

import asyncio
import re
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from stores import preferences, users
from stores.recurrence import moment_text
from tools._runtime import context, current_user
from tools.places import zone_for

MAX_NAME_CHARS = 60


async def find_zone(place: str) -> str | None:
    """zone_for() off the event loop: the first call scans the zone database on disk, and the
    first ZoneInfo() of a zone reads its file (both blocking; `langgraph dev` rejects them)."""

    def lookup() -> str | None:
        zone = zone_for(place)
        if zone is not None:
            ZoneInfo(zone)  # cached by zoneinfo from now on, so later calls do no I/O
        return zone

    return await asyncio.to_thread(lookup)


@tool
async def set_timezone(place: str, runtime: ToolRuntime[Any, Any]) -> str:
    """Change the user's timezone (reminders and times use it).

    Args:
        place: a city or IANA zone, e.g. "Paris" or "Europe/Paris".
    """
    zone = await find_zone(place)
    if zone is None:
        return (
            f"I don't know the timezone for '{place.strip()}'. Try a big city nearby or a zone "
            "name, e.g. 'timezone Europe/Paris'."
        )
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        row = await users.get_user(session, user_id=user["id"])
        assert row is not None
        await preferences.set_timezone(session, user=row, timezone=zone, clock=ctx.clock)
    return f"Timezone set to {zone}. It's now {moment_text(ctx.clock.now(), zone)}."


@tool
async def set_name(name: str, runtime: ToolRuntime[Any, Any]) -> str:
    """Change what the assistant calls the user.

    Args:
        name: the name they asked to be called, e.g. "Sam".
    """
    name = " ".join(name.split()).strip(" .!")
    if not name or len(name) > MAX_NAME_CHARS:
        return f"Give me a name of 1 to {MAX_NAME_CHARS} characters, e.g. 'call me Sam'."
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        row = await users.get_user(session, user_id=user["id"])
        assert row is not None
        await preferences.set_name(session, user=row, name=name, clock=ctx.clock)
    return f"OK, I'll call you {name}."


def read_hour(text: str) -> time | None:
    match = re.fullmatch(r"\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*", text.lower())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if match.group(3):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match.group(3) == "pm" else 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


@tool
async def set_quiet_hours(start: str, end: str, runtime: ToolRuntime[Any, Any]) -> str:
    """Set the hours when reminders and other unasked-for texts wait (local time).

    Args:
        start: when quiet hours begin, 24-hour or with am/pm, e.g. "22" or "10pm".
        end: when they end, e.g. "7" or "7am". Equal start and end turn quiet hours off.
    """
    begin, finish = read_hour(start), read_hour(end)
    if begin is None or finish is None:
        return "I couldn't read those hours. Try e.g. 'quiet hours 22-7' or '10pm-7am'."
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        await preferences.set_quiet_hours(
            session, user_id=user["id"], start=begin, end=finish, clock=ctx.clock
        )
    if begin == finish:
        return "Quiet hours are off: reminders come whenever they are due."
    return f"Quiet hours set: {begin:%H:%M}-{finish:%H:%M} ({user['timezone']})."


@tool
async def whoami(runtime: ToolRuntime[Any, Any]) -> str:
    """Tell the user what the assistant knows about their account: name, number, timezone,
    quiet hours."""
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        quiet = await preferences.quiet_hours(session, user_id=user["id"], settings=ctx.settings)
    return (
        f"You're {user['name']} ({user['phone']}). Timezone: {user['timezone']}, "
        f"local time {moment_text(ctx.clock.now(), user['timezone'])}. "
        f"Quiet hours: {quiet.text()}."
    )


@tool
async def time_in(place: str, runtime: ToolRuntime[Any, Any]) -> str:
    """The current time in a city or timezone.

    Args:
        place: e.g. "Tokyo" or "America/Chicago".
    """
    zone = await find_zone(place)
    if zone is None:
        return f"I don't know the timezone for '{place.strip()}'. Try a big city nearby."
    now = context(runtime).clock.now().astimezone(ZoneInfo(zone))
    return (
        f"It's {moment_text(now, zone)} in {place.strip().title() if '/' not in place else zone}."
    )
