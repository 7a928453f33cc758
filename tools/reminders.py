"""Reminder tools: set (one-off or repeating), list, cancel. The injected user's reminders only.

Times are read by tools.timeparse in the user's zone and always echoed back as an absolute local
time with the zone, so a misread is caught at once rather than when the text does not come.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from stores import preferences
from stores import reminders as reminder_store
from stores.models import Reminder
from stores.recurrence import clock_text, describe_rrule, moment_text
from tools._runtime import context, current_user, effect_key
from tools.timeparse import TimeQuestion, parse_when

MAX_REMINDER_CHARS = 300
LIST_LIMIT = 15
_FILLER = re.compile(
    r"\b(?:the|my|a|an|one|reminder|reminders|remind|about|to|for|that|please|pls)\b", re.I
)


def describe(reminder: Reminder) -> str:
    when = moment_text(reminder.occurs_at, reminder.timezone)
    if reminder.rrule:
        local = reminder.occurs_at.astimezone(ZoneInfo(reminder.timezone))
        when = f"{describe_rrule(reminder.rrule)} at {clock_text(local)}, next {when}"
    if reminder.due_at > reminder.occurs_at:  # held (late, quiet hours or the daily cap)
        when += f", held until {moment_text(reminder.due_at, reminder.timezone)}"
    return f"#{reminder.number} {reminder.text} — {when}"


@tool
async def set_reminder(
    what: str, when: str, runtime: ToolRuntime[Any, Any], urgent: bool = False
) -> str:
    """Set a reminder that texts the user at a time, once or repeating.

    Args:
        what: what to remind them of, e.g. "call mom".
        when: the time in the user's words, e.g. "tomorrow at 5pm", "in 10 minutes",
            "every Monday at 9", "Dec 3 at 14:00". Pass it as said; it is read in their zone.
        urgent: true only if they called it urgent. A reminder always comes at the time they
            named, quiet hours or not; urgent ones also ignore quiet hours when they are late.
    """
    what = " ".join(what.split()).strip(" .")
    if not what:
        return "What should I remind you about? E.g. 'remind me to call mom tomorrow at 5pm'."
    if len(what) > MAX_REMINDER_CHARS:
        return f"That reminder is too long (the limit is {MAX_REMINDER_CHARS} characters)."
    ctx, user = context(runtime), current_user(runtime)
    try:
        schedule = parse_when(when, timezone=user["timezone"], now=ctx.clock.now())
    except TimeQuestion as question:
        return question.question
    async with ctx.database.session() as session:
        await reminder_store.add_reminder(
            session,
            user_id=user["id"],
            channel=getattr(ctx, "channel", "sms"),
            text=what,
            timezone=user["timezone"],
            first=schedule.first,
            rrule=schedule.rrule,
            start_local=schedule.start_local,
            urgent=urgent,
            clock=ctx.clock,
            source_key=effect_key(runtime),
        )
        quiet = await preferences.quiet_hours(session, user_id=user["id"], settings=ctx.settings)
    reply = f"OK — {schedule.describe()}: {what}."
    local = schedule.first.astimezone(ZoneInfo(user["timezone"]))
    if quiet.contains(local):  # their time wins; say so, since they may not expect a text then
        reply += f" That's in your quiet hours ({quiet.text()}); it will still come then."
    return reply


@tool
async def list_reminders(runtime: ToolRuntime[Any, Any]) -> str:
    """List the user's upcoming reminders with their numbers and next times."""
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        active = await reminder_store.active_reminders(session, user_id=user["id"])
    if not active:
        return "You have no reminders. Set one with e.g. 'remind me to call mom at 5pm'."
    lines = [f"Your reminders ({len(active)}):", *(describe(r) for r in active[:LIST_LIMIT])]
    if len(active) > LIST_LIMIT:
        lines.append(f"...and {len(active) - LIST_LIMIT} more.")
    return "\n".join(lines)


def _matches(reminders: list[Reminder], which: str) -> list[Reminder]:
    number = re.fullmatch(r"\s*(?:#|number |no\.? )?(\d+)\s*", which)
    if number:
        return [r for r in reminders if r.number == int(number.group(1))]
    words = [w for w in _FILLER.sub(" ", which.lower()).split() if len(w) > 1]
    if not words:  # "cancel the reminder": the only one, or a question which
        return list(reminders)
    return [r for r in reminders if all(w.rstrip("s") in r.text.lower() for w in words)]


@tool
async def cancel_reminder(which: str, runtime: ToolRuntime[Any, Any]) -> str:
    """Cancel one of the user's reminders.

    Args:
        which: its number (e.g. "2") or words from it (e.g. "plants" for "water the plants").
    """
    ctx, user = context(runtime), current_user(runtime)
    async with ctx.database.session() as session:
        active = await reminder_store.active_reminders(session, user_id=user["id"])
        found = _matches(active, which)
        if len(found) == 1:
            await reminder_store.cancel(session, reminder=found[0], clock=ctx.clock)
            return f"Cancelled: {found[0].text}."
    if not found:
        return f"I found no reminder matching '{which.strip()}'. Text 'reminders' to see them."
    options = "\n".join(describe(r) for r in found[:LIST_LIMIT])
    return f"Which one? Text 'cancel reminder <number>':\n{options}"
