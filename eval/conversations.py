"""Multi-turn conversations for `make eval`, checked by their effects: rows written, times,
replies. Each runs in its own user on a fresh SQLite database through the real compiled graph
(offline planner, real checkpointer) with the runner's approval handling in front of it."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import SecretStr
from sqlalchemy import select

from graph.context import Context
from graph.graph import builder
from graph.state import InputState
from messaging import approvals
from stores import crypto, memories, notes, reminders, todos, users
from stores.clock import ManualClock
from stores.db import Database
from stores.embeddings import TextEmbeddings
from stores.migrate import upgrade
from stores.models import UserPreference
from stores.settings import Settings

ZONE = "America/New_York"


@dataclass
class Effects:
    replies: list[str]
    reminders: list[tuple[str, str, str | None]]
    """(text, local "YYYY-MM-DD HH:MM", rrule) of the active reminders."""
    todos: list[tuple[str, bool]]
    notes: list[str]
    memories: list[str]
    name: str
    timezone: str
    quiet: tuple[str, str] | None

    @property
    def last(self) -> str:
        return self.replies[-1] if self.replies else ""

    def reminder(self, words: str) -> tuple[str, str, str | None] | None:
        return next((r for r in self.reminders if words.lower() in r[0].lower()), None)

    def open_items(self) -> list[str]:
        return [t.lower() for t, done in self.todos if not done]


Check = Callable[[Effects], bool]


@dataclass
class Conversation:
    name: str
    turns: list[str]
    checks: list[Check] = field(default_factory=list)


def _at(words: str, local: str) -> Check:
    return lambda e: (r := e.reminder(words)) is not None and r[1] == local


def _no_reminders(e: Effects) -> bool:
    return not e.reminders


def _says(*fragments: str) -> Check:
    return lambda e: all(f.lower() in e.last.lower() for f in fragments)


def _one_segment_last(e: Effects) -> bool:
    from messaging.segments import segments

    return segments(e.last) == 1


def _no_operator_advice(e: Effects) -> bool:
    return not any("OPENAI" in r or "operator" in r for r in e.replies)


CONVERSATIONS: list[Conversation] = [
    Conversation("ampm follow-up", ["remind me to call the vet tomorrow at 4", "4pm"],
                 [_at("vet", "2026-11-26 16:00")]),
    Conversation("bare pm follow-up", ["remind me to call mom tomorrow at 5", "pm"],
                 [_at("mom", "2026-11-26 17:00")]),
    Conversation("am follow-up", ["remind me to go running tomorrow at 6", "am"],
                 [_at("running", "2026-11-26 06:00")]),
    Conversation("morning follow-up", ["remind me saturday at 5 to feed the fish", "in the morning"],
                 [_at("fish", "2026-11-28 05:00")]),
    Conversation("no to ampm", ["remind me to call bob tomorrow at 3", "no"],
                 [_no_reminders]),
    Conversation("time asked", ["remind me to pay rent", "tomorrow at 9am"],
                 [_at("rent", "2026-11-26 09:00")]),
    Conversation("date needs time", ["remind me to call the bank on friday", "10am"],
                 [_at("bank", "2026-11-27 10:00")]),
    Conversation("passed time, yes", ["remind me to stretch at 9am", "yes"],
                 [_at("stretch", "2026-11-26 09:00")]),
    Conversation("typo reminder", ["rmind me to call the dentist tomorrow 10am"],
                 [_at("dentist", "2026-11-26 10:00")]),
    Conversation("2moro", ["remind me 2moro at 8am to email sarah"],
                 [_at("sarah", "2026-11-26 08:00")]),
    Conversation("weekday about", ["remind me next tuesday at 2:30pm about the dentist"],
                 [_at("dentist", "2026-12-01 14:30")]),
    Conversation("ordinal shouting", ["REMIND ME TO PAY RENT ON THE 1ST AT 9AM"],
                 [_at("rent", "2026-12-01 09:00")]),
    Conversation("tonight", ["remind me tonight to call grandma"],
                 [_at("grandma", "2026-11-25 20:00")]),
    Conversation("noon", ["remind me friday at noon to call the bank"],
                 [_at("bank", "2026-11-27 12:00")]),
    Conversation("reminder at the end of a long text",
                 ["so much happened today. " * 30 + "anyway. remind me to call the plumber tomorrow at 11am"],
                 [_at("plumber", "2026-11-26 11:00")]),
    Conversation("cancel after nvm", ["remind me to call the dentist tomorrow at 10am", "nvm, cancel the dentist one"],
                 [_no_reminders]),
    Conversation("list reminders", ["remind me to water plants tomorrow at 9am", "what are my reminders?"],
                 [_says("water plants")]),
    Conversation("shorthand list add", ["can u add oat milk to the list pls", "whats on my list"],
                 [lambda e: "oat milk" in e.open_items(), _says("oat milk")]),
    Conversation("also add", ["add eggs to my list", "also add coffee beans"],
                 [lambda e: {"eggs", "coffee beans"} <= set(e.open_items())]),
    Conversation("got the eggs", ["add eggs to my list", "add bread to my list", "got the eggs"],
                 [lambda e: e.open_items() == ["bread"]]),
    Conversation("remove from list", ["add call the plumber to my list", "remove call the plumber from my list"],
                 [lambda e: e.todos == []]),
    Conversation("need x add that", ["i need to buy batteries, can u add that to my list"],
                 [lambda e: e.open_items() == ["batteries"]]),
    Conversation("todo shorthand", ["todo buy batteries", "list"],
                 [lambda e: e.open_items() == ["batteries"]]),
    Conversation("clear done", ["add milk to my list", "done milk", "clear done"],
                 [lambda e: e.todos == []]),
    Conversation("berlin this week", ["i'm in berlin this week"],
                 [lambda e: e.timezone == "Europe/Berlin"]),
    Conversation("meeting guard", ["i'm in a meeting"],
                 [lambda e: e.timezone == ZONE]),
    Conversation("call me tomorrow guard", ["call me tomorrow"],
                 [lambda e: e.name == "Ann"]),
    Conversation("name with filler", ["hey, pls call me Jess 🙂"],
                 [lambda e: e.name == "Jess"]),
    Conversation("actually my name is", ["actually my name is Roberto"],
                 [lambda e: e.name == "Roberto"]),
    Conversation("quiet hours off", ["turn off quiet hours"],
                 [lambda e: e.quiet is not None and e.quiet[0] == e.quiet[1]]),
    Conversation("don't text me between", ["don't text me between 11pm and 8am"],
                 [lambda e: e.quiet == ("23:00", "08:00")]),
    Conversation("time in london rn", ["whats the time in london"],
                 [_says("London")]),
    Conversation("time in NYC", ["whats the time in NYC?"],
                 [_says("2:00 PM")]),
    Conversation("whats my name", ["whats my name"], [_says("Ann")]),
    Conversation("note then find", ["note: gate code 4412", "find gate"],
                 [lambda e: e.notes == ["gate code 4412"], _says("4412")]),
    Conversation("remember then correct", ["remember my gym locker is 12", "actually remember my gym locker is now 31"],
                 [lambda e: any("31" in m for m in e.memories) and not any("is 12" in m for m in e.memories)]),
    Conversation("actually, without remember", ["remember my gym locker is 12", "actually my gym locker is 31"],
                 [lambda e: any("31" in m for m in e.memories) and not any("is 12" in m for m in e.memories)]),
    Conversation("several items at once", ["add milk, bread and butter to the list", "got milk and bread and butter"],
                 [lambda e: e.open_items() == []]),
    Conversation("close spelling", ["add call the vet to my list", "finished calling the vet"],
                 [lambda e: e.open_items() == []]),
    Conversation("singular", ["add avocados to my shopping list", "got the avocado"],
                 [lambda e: e.open_items() == []]),
    Conversation("what do u know", ["remember that I'm vegetarian", "what do u know abt me?"],
                 [_says("vegetarian")]),
    Conversation("delete notes then no", ["note: a", "delete all my notes", "no"],
                 [lambda e: e.notes == ["a"], lambda e: "HELP" not in e.last and "Cancelled" in e.last]),
    Conversation("delete notes then yes code", ["note: a", "delete all my notes", "YES {code}"],
                 [lambda e: e.notes == []]),
    Conversation("fallback is one segment", ["book me a flight"],
                 [_one_segment_last, _no_operator_advice]),
    Conversation("help lists everything", ["what can you do?"],
                 [_says("remind", "list", "note", "remember", "quiet hours")]),
    Conversation("greeting then reminder", ["hi", "remind me in 20 mins to check the oven"],
                 [_at("oven", "2026-11-25 14:20")]),
    Conversation("every monday", ["every monday at 8am remind me to put the bins out"],
                 [lambda e: (r := e.reminder("bins")) is not None and r[2] is not None and r[1] == "2026-11-30 08:00"]),
    Conversation("which one: the first", ["remind me to call mom tomorrow at 5pm",
                                           "remind me to call mom friday at 6pm",
                                           "cancel the mom one", "the first one"],
                 [lambda e: [r[1] for r in e.reminders] == ["2026-11-27 18:00"]]),
    Conversation("which item: 2", ["add whole milk to my list", "add oat milk to my list",
                                   "got milk", "2"],
                 [lambda e: e.open_items() == ["whole milk"]]),
    Conversation("wake me up", ["wake me up tomorrow at 6", "am"],
                 [_at("wake up", "2026-11-26 06:00")]),
    Conversation("ping me", ["ping me in 15 min to take the laundry out"],
                 [_at("laundry", "2026-11-25 14:15")]),
    Conversation("ran out of", ["ran out of olive oil", "what's on my list?"],
                 [lambda e: e.open_items() == ["olive oil"], _says("olive oil")]),
    Conversation("moved", ["moved to denver last week", "what time is it in tokyo"],
                 [lambda e: e.timezone == "America/Denver", _says("Tokyo")]),
    Conversation("two questions", ["remind me to call mom", "tomorrow at 5", "pm"], [_at("mom", "2026-11-26 17:00")]),
    Conversation("evening answer", ["remind me at 5 to call mom", "evening"], [_at("mom", "2026-11-25 17:00")]),
    Conversation("around answer", ["remind me tomorrow to call mom", "around 3pm"], [_at("mom", "2026-11-26 15:00")]),
    Conversation("add too", ["add eggs", "add milk too"], [lambda e: e.open_items() == ["eggs", "milk"]]),
    Conversation("tomorrow night", ["remind me tomorrow night to pack"], [_at("pack", "2026-11-26 20:00")]),
    Conversation("o'clock then pm", ["remind me at 5 o'clock to leave", "pm"], [_at("leave", "2026-11-25 17:00")]),
    Conversation("half past", ["remind me at half past 6 pm to call"], [_at("call", "2026-11-25 18:30")]),
    Conversation("day of month then time", ["remind me on the 5th to pay gas bill", "9am"], [_at("gas", "2026-12-05 09:00")]),
    Conversation("which reminder: 2", ["remind me to call mom tomorrow at 5pm", "remind me to call mom friday at 6pm", "cancel mom", "2"],
                 [lambda e: [r[1] for r in e.reminders] == ["2026-11-26 17:00"]]),
    Conversation("never mind to a time question", ["remind me to call bob", "never mind"], [_no_reminders]),
    Conversation("yes please to tomorrow", ["remind me at 9am to run", "yes please"], [_at("run", "2026-11-26 09:00")]),
    Conversation("what from the clause before", ["I need to buy a gift for Tom, remind me saturday 10am"],
                 [_at("gift for Tom", "2026-11-28 10:00")]),
    Conversation("text around a cancel", ["remind me about the meeting tomorrow at 10am",
                                          "the meeting is moved, cancel the reminder for the meeting"],
                 [_no_reminders]),
    Conversation("learner's English", ["please remember me to buy bread tomorrow 8 clock", "am"],
                 [_at("bread", "2026-11-26 08:00")]),
    Conversation("forget the X reminder", ["remind me to feed the dog at 5:30pm", "forget the dog reminder"],
                 [_no_reminders]),
    # A new user's first conversations, written before they were run.
    Conversation("newbie 1", ["hi", "what can you do?", "remind me to call the bank tomorrow at 10", "thanks!"],
                 [_at("bank", "2026-11-26 10:00")]),
    Conversation("newbie 2", ["hello", "can you keep a shopping list for me?", "add milk and eggs", "what's on it?"],
                 [lambda e: len(e.open_items()) >= 1]),
    Conversation("list flow", ["add apples to my list", "add pears", "also bananas", "what's on my list"],
                 [lambda e: set(e.open_items()) >= {"apples", "pears", "bananas"}]),
    Conversation("remind then list", ["remind me to call dad at 7pm", "what reminders do i have?"], [_says("call dad")]),
    Conversation("remind then change", ["remind me to call dad at 7pm", "cancel the dad one", "remind me to call dad at 8pm"],
                 [_at("dad", "2026-11-25 20:00"), lambda e: len(e.reminders) == 1]),
    Conversation("tz then reminder", ["i'm in london now", "remind me at 9pm to sleep"],
                 [lambda e: e.timezone == "Europe/London"]),
    Conversation("name", ["call me Bob", "whats my name?"], [lambda e: e.name == "Bob", _says("Bob")]),
    Conversation("notes", ["note: wifi is hunter2", "what's the wifi?"], [_says("hunter2")]),
    Conversation("remember q", ["remember my locker is 42", "what's my locker number?"], [_says("42")]),
    Conversation("delete all notes yes", ["note: x", "note: y", "delete all my notes", "YES {code}"], [lambda e: e.notes == []]),
    Conversation("quiet", ["no texts between 10pm and 7am", "whoami"], [lambda e: e.quiet == ("22:00", "07:00")]),
    Conversation("bought", ["add dish soap to the list", "bought dish soap", "list"], [lambda e: e.open_items() == []]),
    Conversation("complete by ordinal", ["add eggs to the list", "add egg noodles to the list", "got eggs"], [lambda e: "egg noodles" in e.open_items()]),
    Conversation("weekday", ["remind me on friday to pay rent", "9am"], [_at("rent", "2026-11-27 09:00")]),
    Conversation("in an hour", ["remind me in an hour to check the oven"], [_at("oven", "2026-11-25 15:00")]),
    Conversation("am/pm with minutes", ["remind me at 4:30 to pick up the kids", "pm"], [_at("kids", "2026-11-25 16:30")]),
    Conversation("the pm one", ["remind me tomorrow at 6 to run", "the evening"], [_at("run", "2026-11-26 18:00")]),
    Conversation("time question after date", ["remind me on dec 3 to renew", "at noon"], [_at("renew", "2026-12-03 12:00")]),
    Conversation("snoozeless done", ["add milk", "done milk", "clear done", "list"], [lambda e: e.todos == []]),
    Conversation("forget", ["remember my pin is 1234", "forget my pin", "what do you know about me?"], [lambda e: e.memories == []]),
    Conversation("offered reminder, yes", ["need to pay bills friday 5pm", "yes"], [_at("bills", "2026-11-27 17:00")]),
    Conversation("offered reminder, no", ["lunch with sam at noon tomorrow", "no thanks"], [_no_reminders]),
    Conversation("cancel the only reminder", ["remind me to call the vet tomorrow at 9am", "cancel the reminder"],
                 [_no_reminders]),
    Conversation("we need", ["we need milk", "out of coffee again", "list"],
                 [lambda e: e.open_items() == ["milk", "coffee"]]),
    Conversation("meaning never changes a setting", ["tell me the time in paris"],
                 [lambda e: e.timezone == ZONE, _says("Paris")]),
    Conversation("day after tomorrow", ["remind me the day after tomorrow to call the landlord", "10am"],
                 [_at("landlord", "2026-11-27 10:00")]),
    Conversation("on there too", ["add cereal to shopping list", "put detergent on there too"],
                 [lambda e: e.open_items() == ["cereal", "detergent"]]),
    Conversation("urgent", ["urgent: remind me to move the car at 4pm"],
                 [_at("car", "2026-11-25 16:00")]),
]  # fmt: skip


async def _effects(database: Database, user_id: int, replies: list[str]) -> Effects:
    zone = ZoneInfo(ZONE)
    async with database.session() as session:
        user = await users.get_user(session, user_id=user_id)
        active = await reminders.active_reminders(session, user_id=user_id)
        items = await todos.list_todos(session, user_id=user_id)
        saved = await notes.list_notes(session, user_id=user_id)
        facts = await memories.list_memories(session, user_id=user_id)
        pref = (
            await session.execute(select(UserPreference).where(UserPreference.user_id == user_id))
        ).scalar_one_or_none()
    assert user is not None
    return Effects(
        replies=replies,
        reminders=[
            (r.text, r.occurs_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), r.rrule)
            for r in active
        ],
        todos=[(t.text, t.done) for t in items],
        notes=[n.text for n in saved],
        memories=[m.text for m in facts],
        name=user.name,
        timezone=user.timezone,
        quiet=(pref.quiet_start, pref.quiet_end) if pref else None,
    )


async def _say(graph: Any, config: Any, context: Context, text: str) -> str:
    """The runner's order: a pending approval is settled first; "YES <code>"/"no" end there."""
    asked = await approvals.pending(graph, config)
    cancelled = ""
    if asked is not None:
        text = text.replace("{code}", str(asked.get("code", "")))
        settled = await approvals.settle(graph, config, context, text=text, asked=asked)
        if approvals.answers(text):
            return str(settled.get("reply") or "")
        cancelled = str(settled.get("reply") or "")
    final = await graph.ainvoke(InputState(messages=[HumanMessage(text)]), config, context=context)
    reply = approvals.question(final) or str(final.get("reply") or "")
    return "\n".join(p for p in (cancelled, reply) if p)


async def run_one(
    conversation: Conversation,
    database: Database,
    clock: ManualClock,
    index: int,
    model: TextEmbeddings,
    settings: Settings,
) -> str | None:
    """None when every check holds; else what went wrong."""
    async with database.session() as session:
        user = await users.add_user(
            session, phone=f"+1415555{index:04d}", name="Ann", timezone=ZONE, clock=clock
        )
    graph = builder.compile(checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": f"eval-{index}"}}
    context = Context(
        user_id=user.id, database=database, clock=clock, embeddings=model, settings=settings
    )
    replies = []
    for text in conversation.turns:
        replies.append(await _say(graph, config, context, text))
    effects = await _effects(database, user.id, replies)
    failed = [i for i, check in enumerate(conversation.checks) if not check(effects)]
    if failed:
        return f"{conversation.name}: checks {failed} failed; replies {replies!r}; {effects}"
    return None


async def run_all(model: TextEmbeddings) -> tuple[int, int, list[str]]:
    from eval.run import NOW

    failures: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'eval.db'}"
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=url,
            encryption_key=SecretStr(Fernet.generate_key().decode()),
        )
        if not crypto.is_configured():  # the eval is a composition root (a test already is)
            crypto.configure(settings)
        upgrade(url)
        database = Database(url)
        clock = ManualClock(NOW)
        try:
            for index, conversation in enumerate(CONVERSATIONS):
                failure = await run_one(conversation, database, clock, index, model, settings)
                if failure:
                    failures.append(failure)
        finally:
            await database.dispose()
    return len(CONVERSATIONS) - len(failures), len(CONVERSATIONS), failures
