"""Keyword routing before the LLM: texts with a fixed meaning are answered instantly, without
tokens, and can never be misread by a model.

STOP means stop: the carrier keywords opt the number out (the user row, and a consent event
even for numbers we do not know), and nothing is sent to it again until START. Twilio's own
opt-out handling already confirms STOP/START to the texter, so we add no reply of our own there.
HELP gets a fixed text. Other rooms add their own rules to RULES (approvals, snooze, MORE).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from graph.understanding import answers
from messaging import metrics
from stores import consent, continuations, reminders, users
from stores.clock import Clock
from stores.models import InboxItem, User
from stores.outcomes import Outcome
from stores.recurrence import moment_text
from stores.settings import Settings
from tools.help import HELP_TEXT  # the same text the planner's help tool gives

OPT_OUT_WORDS = answers.OPT_OUT_WORDS  # what the words mean is read in graph/understanding
OPT_IN_WORDS = answers.OPT_IN_WORDS
HELP_WORDS = answers.HELP_WORDS

OPT_OUT_NOTICE = "STOP to opt out, START to resume. Msg&data rates may apply."


@dataclass(frozen=True)
class KeywordContext:
    session: AsyncSession
    row: InboxItem
    user: User | None
    clock: Clock
    settings: Settings

    @property
    def word(self) -> str:
        """The text as one upper-case word ("stop." -> "STOP"), or "" when it is more."""
        return answers.single_word(self.row.body)


@dataclass(frozen=True)
class Routed:
    reply: str | None
    outcome: Outcome


Rule = Callable[[KeywordContext], Awaitable[Routed | None]]


async def opt_out_or_in(ctx: KeywordContext) -> Routed | None:
    declared = (ctx.row.opt_out_type or "").upper()
    meant = None if declared else answers.compliance(ctx.row.body)
    if declared == "STOP" or meant == "opt_out":
        await _record(ctx, "opt_out", "opted_out", source="optout_type" if declared else "keyword")
        metrics.record_opt_out("keyword")
        return Routed(reply=None, outcome=Outcome.OPTED_OUT)
    if declared == "START" or meant == "opt_in":
        await _record(ctx, "opt_in", "active", source="optout_type" if declared else "keyword")
        metrics.record_opt_in("keyword")
        return Routed(reply=None, outcome=Outcome.OPTED_IN)
    if declared == "HELP" or meant == "help":
        await _record(ctx, "help", None, source="optout_type" if declared else "keyword")
        return Routed(reply=f"{HELP_TEXT}\n{OPT_OUT_NOTICE}", outcome=Outcome.HELP)
    return None


async def _record(ctx: KeywordContext, kind: str, status: str | None, *, source: str) -> None:
    await consent.record(
        ctx.session,
        phone=ctx.row.from_number,
        kind=kind,
        keyword=(ctx.word or ctx.row.opt_out_type or "")[:32],
        source=source,
        message_sid=ctx.row.message_sid,
        clock=ctx.clock,
    )
    if status is not None and ctx.user is not None and ctx.user.status != "blocked":
        await users.set_status(
            ctx.session, phone=ctx.row.from_number, status=status, clock=ctx.clock
        )


NOTHING_MORE = "That's all: there is nothing more to send."


async def more(ctx: KeywordContext) -> Routed | None:
    if not answers.is_more(ctx.row.body):
        return None
    remaining = await continuations.pop(
        ctx.session, phone=ctx.row.from_number, channel=ctx.row.channel
    )
    return Routed(reply=remaining or NOTHING_MORE, outcome=Outcome.MORE)


MAX_SNOOZE = timedelta(days=7)


async def snooze_or_done(ctx: KeywordContext) -> Routed | None:
    """ "snooze [N]" and "done" answer the reminder that texted this user last."""
    answer = answers.snooze_or_done(ctx.row.body)
    if ctx.user is None or ctx.user.status != "active" or answer is None:
        return None
    done = answer.delay is None
    reminder = await reminders.last_fired(ctx.session, user_id=ctx.user.id, clock=ctx.clock)
    if reminder is None:
        what = "mark done" if done else "snooze"
        return Routed(reply=f"There's no recent reminder to {what}.", outcome=Outcome.NO_REMINDER)
    reminder.last_fired_at = None  # answered: a second "done" does not reach it again
    if done:
        if reminder.rrule is None:
            reminder.state = reminders.DONE
        reminder.updated_at = ctx.clock.now()
        return Routed(reply=f"Done: {reminder.text}.", outcome=Outcome.REMINDER_DONE)
    delay = answer.delay
    assert delay is not None
    if not timedelta(0) < delay <= MAX_SNOOZE:
        return Routed(reply="I can snooze from 1 minute to 7 days.", outcome=Outcome.SNOOZE_INVALID)
    at = ctx.clock.now() + delay
    if reminder.rrule is None:  # the same row comes round again
        reminder.state, reminder.occurs_at, reminder.due_at = reminders.SCHEDULED, at, at
        reminder.urgent, reminder.updated_at = True, ctx.clock.now()
    else:  # a repeating one keeps its series; the snooze is a one-off copy
        await reminders.add_reminder(
            ctx.session,
            user_id=ctx.user.id,
            channel=ctx.row.channel,
            text=reminder.text,
            timezone=reminder.timezone,
            first=at,
            urgent=True,  # asked for just now: quiet hours do not hold it
            clock=ctx.clock,
            source_key=f"snooze:{ctx.row.message_sid}",
        )
    local = moment_text(at, ctx.user.timezone)
    return Routed(
        reply=f"Snoozed until {local}: {reminder.text}.", outcome=Outcome.REMINDER_SNOOZED
    )


RULES: list[Rule] = [opt_out_or_in, more, snooze_or_done]
"""Tried in order; the first that answers wins. Consent comes first, always."""


async def route(ctx: KeywordContext) -> Routed | None:
    for rule in RULES:
        routed = await rule(ctx)
        if routed is not None:
            return routed
    return None
