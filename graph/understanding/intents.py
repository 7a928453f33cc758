"""The intent table: every meaning the assistant understands without a model, one row each.

A row names the intent (the tool it calls, or a direct reply), its tier in the precedence, its
exact forms (regexes on the normalised text), how its slots are read, and labelled examples that
the nearest-meaning stage compares new texts with. To add an intent, add a row here (and
examples to eval/bank if you want it measured); nothing else decides what a text means.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from graph import prompts
from graph.understanding import slots

Slots = dict[str, Any]


class Tier(IntEnum):
    """The precedence: a lower tier wins whatever the order of rows."""

    COMPLIANCE = 0
    ANSWER = 1
    COMMAND = 2
    QUESTION = 3
    SMALL_TALK = 4
    CLARIFY = 5


@dataclass(frozen=True)
class Intent:
    name: str
    tier: Tier
    label: str
    """How the clarifying question names it: "add it to your list"."""
    forms: tuple[re.Pattern[str], ...] = ()
    read: Callable[[re.Match[str]], Slots | None] | None = None
    """The slots from a form's match; None: this match is not the intent after all."""
    loose: Callable[[str], Slots | None] | None = None
    """The slots from a whole text recognised by meaning; None: cannot be read (ask instead)."""
    examples: tuple[str, ...] = ()
    destructive: bool = False
    """Exact forms only (never by meaning), and the tool always asks to confirm."""
    rank: int = 50
    """Within a tier, the more specific row (lower rank) wins when two forms match."""
    tool: str | None = None
    reply: str | None = None
    verbatim: tuple[str, ...] = field(default=())
    """Slots taken from the user's own words (case, shorthand) when the form reads the same."""

    @property
    def tool_name(self) -> str | None:
        return None if self.reply is not None else (self.tool or self.name)


def _forms(*regexes: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(rf"^(?:{r})$", re.IGNORECASE | re.DOTALL) for r in regexes)


def _group(name: str, key: str | None = None) -> Callable[[re.Match[str]], Slots | None]:
    def read(match: re.Match[str]) -> Slots | None:
        value = (match.group(name) or "").strip(" ,.")
        return {key or name: value} if value else None

    return read


_LIST = (
    r"(?:my|the|our|a|your)?\s*(?:todo |to-do |to do |shopping |grocery |groceries |packing "
    r"|christmas |reading |work |house |home |weekend |[a-z]+ing )?list"
)
_AFTER_LIST = r"(?:\s+(?:we're|we are|i'm|i am|as|because|since|cuz|please|too|also|as well|for (?:later|tomorrow|the weekend)|before)\b.*)?"
_HOUR = r"\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?|midnight|noon"
_NOTE_WORD = r"(?:note|save(?: a)? note|add(?: a)? note|new note|make a note|jot down|write down"
_NOTE_WORD = _NOTE_WORD.replace("(?:note|", "(?:note|save(?=\\s*:)|", 1)
_NOTE_WORD += (
    r"|take a note|note to self|save this|save that|jot this down|write this down|note this)"
)

GREETING = prompts.OFFLINE_GREETING
THANKS = prompts.OFFLINE_THANKS
ACKNOWLEDGED = "OK. Text HELP any time to see what I can do."

INTENTS: tuple[Intent, ...] = (
    # -- commands: destructive ones are exact and always ask first ----------------------------
    Intent(
        "delete_account", Tier.COMMAND, "delete your account", destructive=True, rank=10,
        forms=_forms(
            r"(?:delete|remove|close|cancel|erase|terminate|deactivate)(?: my| the)? account"
            r"(?: and (?:all )?(?:my )?data)?",
        ),
    ),
    Intent(
        "delete_all_notes", Tier.COMMAND, "delete all your notes", destructive=True, rank=10,
        forms=_forms(r"(?:delete|remove|erase|clear|wipe)(?: out)?(?: all)?(?: of)?(?: my| the)? notes"),
    ),
    Intent(
        "forget_everything", Tier.COMMAND, "forget everything", destructive=True, rank=10,
        forms=_forms(
            r"(?:forget|wipe|erase|delete|clear) (?:everything|all|it all)"
            r"(?: about me| you know(?: about me)?| you have(?: on me| about me)?)?",
        ),
    ),
    Intent(
        "delete_that_note", Tier.COMMAND, "delete your last note", destructive=True, rank=10,
        forms=_forms(r"(?:delete|remove|erase|scratch)(?: that| this| the last| my last)(?: note)?"),
    ),
    Intent(
        "delete_note", Tier.COMMAND, "delete a note", destructive=True, rank=10,
        forms=_forms(r"(?:delete|remove|erase|drop)(?: my)?(?: the)? note\s*(?:#|number |no\.? )?(?P<n>\d+)"),
        read=lambda m: {"number": int(m.group("n"))},
    ),
    # -- reminders ------------------------------------------------------------------------
    Intent(
        "set_reminder", Tier.COMMAND, "set a reminder", rank=20,
        forms=_forms(
            r"(?:(?:urgent(?:ly)?|important)[\s:,]+)?(?:(?:set(?: up)?|make|create|add|schedule) (?:me |us )?(?:a |an )?(?:urgent )?(?:reminder|alarm)"
            r"|remember me(?= (?:to|about|of|for) )"
            r"(?: for me)?(?: to)?|remind me|remind|reminder|rem me|remind me please|don't let me forget)"
            r"(?:\s+(?:urgently|urgent))?[\s:,]+(?P<rest>\S.*)",
            r"(?P<when>(?:every|each|daily|weekdays|on|at|in|tomorrow|today|tonight|next|this)\b.*?)"
            r"[\s,]+(?:please |pls )?remind me (?:to |about |that |of )?(?P<what>\S.*)",
            r"(?P<rest>.*\S)[\s,]+remind me",
            r"(?:i )?need (?:a )?reminder (?P<rest>(?:to|for|about|that) .+)",
            r"(?P<nudge>ping|text|nudge|alert|buzz|message) me (?P<rest>.+)",
            r"(?P<wake>wake me(?: up)?) (?P<rest>.+)",
        ),
        read=slots.reminder,
        loose=slots.reminder_loose,
        verbatim=("what", "when"),
        examples=(
            "remind me to call mom tomorrow at 5pm", "set a reminder for the dentist", "remind me",
            "can you remind me about the meeting", "ping me in an hour to stretch",
            "nudge me tomorrow to pay rent", "don't let me forget to call the vet at 3pm",
            "alert me at 6pm to take my pills", "text me at 8am to water the plants",
        ),
    ),
    Intent(
        "list_reminders", Tier.COMMAND, "list your reminders", rank=30,
        forms=_forms(
            r"(?:what are my reminders|what reminders do i have|(?:list|show|see|check|view)(?: me)?"
            r"(?: all)?(?: my| the)? reminders|(?:my |all )?reminders|any reminders|"
            r"what (?:have i|did i) (?:asked you to|set) remind(?: me)?(?: of| about)?|"
            r"what(?: am i|'s) (?:being )?reminded (?:of|about)|upcoming reminders|"
            r"what reminders(?: are there| have i got| do i have set)?|reminders\?*"
            r"|(?:do i have |is there |have i got )?anything (?:scheduled|planned|coming up)"
            r"|what(?:'s| is| have i got| do i have) (?:scheduled|planned|coming up))",
        ),
        examples=(
            "what are my reminders", "show my reminders", "what have i asked you to remind me",
            "which reminders are set", "do i have any reminders", "what's coming up",
            "what reminders are pending", "list reminders",
        ),
    ),
    Intent(
        "cancel_reminder", Tier.COMMAND, "cancel a reminder", rank=30,
        forms=_forms(
            r"(?:cancel|delete|remove|stop|drop|kill|scrap|clear)\s+(?:all\s+)?(?:the\s+|my\s+|that\s+)?"
            r"reminders?\s*(?:about\s+|to\s+|for\s+|#|number\s+)?(?P<which>\S.*)",
            r"(?:cancel|delete|remove|stop|drop|kill|scrap|don't remind me|no need to remind me)"
            r"\s+(?:the\s+|my\s+|that\s+)?(?:about\s+|to\s+|of\s+)?(?P<which>\S.*?)"
            r"(?:\s+one|\s+reminders?)",
            r"(?:cancel|call off|scrap)\s+(?:the\s+|my\s+|that\s+)?(?P<which>(?!account\b)\S.*?)",
            r"(?:don't|do not|no need to) remind me (?:to |about |of )?(?P<which>\S.*?)"
            r"(?: anymore| any more| after all)?",
            r"(?:forget |never mind )?about (?:the |my )?(?P<which>\S.*?) reminder",
            r"(?:stop|quit|no more) reminding me (?:to |about |of )?(?P<which>\S.*?)(?: anymore| any more)?",
            r"forget (?:about )?(?:the |my |that )?(?P<which>\S.*?) reminders?",
            r"(?:i |we )?(?:don't|do not|no longer) need (?:the |my |that )?(?P<which>\S.*?) reminder(?: anymore| any more)?",
        ),
        read=lambda m: slots.reminder_ref(m.group("which")),
        examples=("cancel the dentist reminder", "cancel reminder 2", "stop the plants one"),
    ),
    # -- the list ---------------------------------------------------------------------------
    Intent(
        "remove_todo", Tier.COMMAND, "remove an item from your list", rank=25,
        forms=_forms(
            rf"(?:remove|delete|take|drop|cross|scratch|get rid of)\s+(?P<item>\S.*?)\s+"
            rf"(?:off|from|off of|of|on)\s+{_LIST}",
            rf"(?:i |we )?(?:don't|do not|no longer) need (?P<item>\S.*?)(?: anymore| any more)?"
            rf"(?: (?:please )?(?:remove|take|delete) (?:it|that|them)(?: off| from)?(?: {_LIST})?)",
        ),
        read=lambda m: slots.list_item(m.group("item")),
        verbatim=("item",),
        examples=("remove eggs from my list", "take bread off the shopping list"),
    ),
    Intent(
        # "remove lemons": the list is meant unless a reminder, note or account is named (those
        # rows rank first).
        "remove_todo_bare", Tier.COMMAND, "remove an item from your list", rank=45,
        tool="remove_todo",
        forms=_forms(r"(?:remove|take|cross|scratch) (?P<item>(?!the .* reminder$)\S.*?)(?: off)?"),
        read=lambda m: slots.list_item(m.group("item")),
        verbatim=("item",),
    ),
    Intent(
        "add_todo", Tier.COMMAND, "add it to your list", rank=30,
        forms=_forms(
            rf"(?:add|put|stick|throw|pop|write|include|also add)\s+(?P<item>\S.*?)\s+"
            rf"(?:to|on(?:to)?|in)\s+(?:{_LIST}|(?:my |the )?to ?dos?){_AFTER_LIST}",
            rf"(?:add to|add in|add on|on|onto|to|in) {_LIST}[\s:,-]+(?:put |add )?(?P<item>\S.*)",
            rf"{_LIST}\s*[:,-]\s*(?:add\s+)?(?P<item>\S.*)",
            rf"{_LIST}\s+(?:add|put)\s+(?P<item>\S.*)",
            r"(?:shopping|groceries|grocery|to ?do)\s*[:-]\s*(?P<item>\S.*)",
            r"(?:todo|to do|buy|get(?! rid of)|grab|pick up)[\s:,-]+(?:buy |get )?(?P<item>\S.*)",
            rf"(?:i |we )?need (?:to (?:buy|get|grab|pick up) )?(?P<item>\S.*?)[\s,]+(?:can you |please |pls )?"
            rf"(?:add (?:that|it|this)|put (?:that|it|this) on)(?: to| on)?(?: {_LIST})?",
            rf"(?:we|i) (?:need|are out of|ran out of|'re out of|am out of|'m out of)"
            rf" (?P<item>\S.*?)(?:,? add (?:that|it|this)(?: to {_LIST})?)",
            r"we (?:still )?need (?P<item>(?!to )\S+(?: \S+){0,2})",
            r"(?:put|add|stick) (?P<item>\S.*?) (?:on|to) (?:there|it|that)(?: too| as well)?",
            r"i (?:still )?need (?P<item>(?!to |a |an |help|you|some help|a break|sleep|more )\S+(?: \S+)?)",
            r"(?:we're|we are|i'm|i am|we|i|we've|i've|we have|i have)? ?(?:ran|run|are|am)? ?"
            r"out of (?P<item>\S.*?)(?:,? (?:add (?:it|that|this)|please|pls)(?: to {_LIST})?)?",
            r"add (?P<item>(?!(?:a |the )?note\b)(?!.*\bnotes?$)\S.*)",
        ),
        read=lambda m: slots.list_item(m.group("item")),
        verbatim=("item",),
        examples=(
            "add milk to my list", "put eggs on the shopping list", "we're out of coffee",
            "add bread", "i need batteries, add that to my list", "need to buy eggs",
        ),
    ),
    Intent(
        "list_todos", Tier.COMMAND, "show your list", rank=30,
        forms=_forms(
            rf"(?:(?:what'?s|what is|whats|anything|what else is|what do i have) on {_LIST}"
            rf"|(?:show|see|read|check|view|send|give|get|open)(?: me)?(?: all)? {_LIST}"
            rf"|(?:can|could|may) i (?:see|have|get|view|check) {_LIST}"
            rf"|(?:my )?(?:todo|to-do|to do|shopping|grocery) list|my list|list|(?:my )?todos"
            rf"|{_LIST}\?*|what do (?:i|we) (?:still )?need to (?:buy|get|do)|what's left(?: on {_LIST})?"
            rf"|what(?:'s| is) (?:still )?left to (?:do|buy|get))",
        ),
        examples=(
            "what's on my list", "show me my shopping list", "what do i need to buy",
            "my todo list", "read me my list", "what's left to do",
        ),
    ),
    Intent(
        "clear_done_todos", Tier.COMMAND, "clear the done items", rank=20,
        forms=_forms(
            r"(?:clear|remove|delete|clean up|tidy)(?: out| up)?(?: all)?(?: the)?(?: my)?"
            r" (?:done|completed|finished|ticked|checked)(?: off)?(?: items| ones| todos| things| stuff| bits)?"
            r"(?: from (?:my|the) list)?",
            r"clear (?:my |the )?list of done(?: items)?",
        ),
        examples=("clear done", "remove the finished items", "clean up the completed ones"),
    ),
    Intent(
        "complete_todo", Tier.COMMAND, "tick it off your list", rank=35,
        forms=_forms(
            r"(?:i |we |i've |we've |just )?(?:done|did|finished|bought|got|picked up|tick off|check off"
            r"|cross off|mark|ticked off|crossed off)"
            r"(?: with)?[\s:,-]+(?P<item>(?!it$|that$|this$)\S.*?)"
            r"(?:\s+(?:as\s+)?(?:done|complete|completed|finished|bought|ticked off))?",
            r"(?P<item>\S.*?)\s+(?:is |are )?(?:done|bought|sorted|taken care of)",
        ),
        read=lambda m: slots.done_item(m.group("item")),
        verbatim=("item",),
        examples=("done milk", "got the eggs", "bought bread", "tick off batteries"),
    ),
    # -- settings and time ------------------------------------------------------------------
    Intent(
        "set_timezone", Tier.COMMAND, "change your time zone", rank=40,
        forms=_forms(
            r"(?:(?:set |change |update |switch )?(?:my )?time ?zone(?: to| is| should be| =|:)?"
            r"|i'?m (?:now |currently |traveling |travelling )?(?:in|at)|i am (?:now |currently )?(?:in|at)"
            r"|i(?:'ve| have)? moved (?:back )?to|i(?:'ve| have) moved to|i'?m (?:now )?(?:living|staying|based) in"
            r"|i live in|(?:just )?(?:landed|arrived) in|moved (?:back )?to|relocated to|(?:now )?living in|(?:(?:update|change|set) )?my (?:location|city|place)(?: to| is|:)|i'?m (?:visiting|back in)|i am back in"
            r"|(?:i'?m |i am )?(?:traveling|travelling|going|heading|flying) to"
            r"|in|now in|currently in|based in|we'?re in|switch (?:me )?to)\s+(?P<place>\S.*?)",
        ),
        read=lambda m: slots.place_slot(
            m.group("place"), as_given=m.group(0).lower().startswith(("time", "set", "change", "update", "my time"))
        ),
        # No loose reading: a setting changes only on an exact form (by meaning, it asks).
        verbatim=("place",),
        examples=("i'm in paris now", "set my timezone to tokyo", "i moved to chicago"),
    ),
    Intent(
        "time_in", Tier.COMMAND, "tell the time somewhere", rank=35,
        forms=_forms(
            r"(?:what(?:'s| is)?(?: the)? (?:local )?time(?: is it)?(?: now| right now)?"
            r"|what time is it(?: now| right now)?|time|current time|local time|the time|clock"
            r"|what(?:'s| is) the time(?: like)? over|what time is it over|what time is it there"
            r"|(?:which|what) hour is it|tell me the time|give me the time|what's the local time"
            r"|how late is it|how early is it|what's the time there"
            r"|is it (?:late|early|night|morning|day|daytime|nighttime|evening)(?: yet| now)?"
            r"|what's the time like|what time(?: is it)?) (?:in|at|for)\s+(?P<place>\S.*?)",
            r"(?:time in|what time in|time at)\s+(?P<place>\S.*?)",
            r"(?:what time is it|what's the time) (?P<place>\S.*?)",
            r"(?P<place>\S.*?) time(?: now| right now)?(?P<whole>)",
            r"(?P<whole>[a-z .'-]{2,40})",
        ),
        read=lambda m: (
            slots.place_slot(m.group("place")) if "place" in m.groupdict() and m.group("place")
            else slots.whole_place(m.group("whole"))
        ),
        loose=slots.place_anywhere,
        verbatim=("place",),
        examples=("what time is it in tokyo", "time in london", "what's the time in nyc"),
    ),
    Intent(
        "set_name", Tier.COMMAND, "change your name", rank=40,
        forms=_forms(
            r"(?:call me|my name is|my name's|i'?m called|i am called|you can call me"
            r"|i go by|change my name to|set my name to|name me|refer to me as"
            r"|actually call me)\s+(?P<name>\S.*)",
            r"my name(?: isn't| is not|'s not) [a-z'-]+,? (?:it's|it is) (?P<name>\S.*)",
            r"my name(?: is|'s) [a-z'-]+,? but (?:please )?(?:call me|i go by|everyone calls me) (?P<name>\S.*)",
            r"(?:it's|its|i'm|im|this is) (?P<name>[a-z][a-z'-]+)(?: btw| by the way)?,? "
            r"(?:call me that|that's my name|that's what you should call me)",
        ),
        read=lambda m: slots.person_name(m.group("name")),
        verbatim=("name",),
        examples=("call me sam", "my name is roberto", "you can call me jess"),
    ),
    Intent(
        "set_quiet_hours", Tier.COMMAND, "set quiet hours", rank=40,
        forms=_forms(
            rf"(?:set |make |change )?(?:my )?quiet (?:hours?|time)(?: to| are| from| be|:)?\s+(?:from )?(?P<start>{_HOUR})\s*"
            rf"(?:-|–|to|until|till)\s*(?P<end>{_HOUR})",
            rf"(?:don't|do not|never|no) (?:text|message|msg|ping|bother|contact|disturb|send)"
            rf"(?: me)?(?: anything| messages| texts| stuff)? "
            rf"(?:between|from|after) (?P<start>{_HOUR})\s*(?:and|-|to|until|till|or)\s*(?:before\s+)?"
            rf"(?P<end>{_HOUR})",
            rf"(?:no texts|no messages|no texting|quiet) (?:between|from|after) (?P<start>{_HOUR})\s*"
            rf"(?:and|-|to|until|till)\s*(?P<end>{_HOUR})",
        ),
        read=lambda m: {"start": m.group("start").strip(), "end": m.group("end").strip()},
        examples=("quiet hours 22-7", "don't text me between 11pm and 8am"),
    ),
    Intent(
        "quiet_hours_off", Tier.COMMAND, "turn quiet hours off", rank=30, tool="set_quiet_hours",
        forms=_forms(
            r"(?:turn |switch )?(?:off |disable |stop |remove |cancel |no )?(?:the |my )?"
            r"quiet (?:hours?|time|mode)(?: off| is off| disabled)?",
            r"(?:turn|switch) (?:the |my )?quiet (?:hours?|time|mode) off",
            r"quiet (?:hours?|time)[: ]+(?:none|off|no|nothing|disabled|never)",
            r"(?:you can )?text me (?:any ?time|whenever|at any hour)",
        ),
        read=lambda m: (
            {"start": "0", "end": "0"} if re.search(r"off|disable|stop|remove|cancel|\bno\b|none|nothing|never|any ?time|whenever|any hour", m.group(0)) else None
        ),
        examples=("turn off quiet hours", "no quiet hours", "you can text me anytime"),
    ),
    Intent(
        "whoami", Tier.COMMAND, "show your settings", rank=40,
        forms=_forms(
            r"whoami|who am i|my (?:settings|account|profile|details|info)|(?:show |check )?(?:my )?settings"
            r"|what(?:'s| is) my (?:name|time ?zone|number|phone number)|what do you call me"
            r"|what time ?zone am i in|what are my settings|account info|my quiet hours"
            r"|what(?: are|'s| is) my (?:quiet hours|settings|details|time ?zone)"
            r"|(?:where|what) am i set to|where do you think i am|what time ?zone (?:do you have|have you got)(?: me)?(?: in| as)?",
        ),
        examples=("whoami", "what's my name", "what timezone am i in", "show my settings"),
    ),
    # -- notes -------------------------------------------------------------------------------
    Intent(
        "save_note", Tier.COMMAND, "save a note", rank=20,
        forms=_forms(rf"{_NOTE_WORD}(?:\s*[:\-]\s*|\s+)(?:that\s+)?(?P<text>\S.*)"),
        read=_group("text"),
        verbatim=("text",),
        examples=("note: gate code 4412", "jot down the plumber's number", "save a note"),
    ),
    Intent(
        "list_notes", Tier.COMMAND, "list your notes", rank=30,
        forms=_forms(
            r"(?:list|show|see|read|get|view|give)(?: me)?(?: all)?(?: of)?(?: my| the)? notes"
            r"|(?:my |all )?notes|what are my notes|what notes do i have|any notes",
        ),
        examples=("notes", "show my notes", "what notes have i saved"),
    ),
    Intent(
        "find_notes", Tier.COMMAND, "search your notes", rank=30,
        forms=_forms(
            r"(?:find|search|look up|lookup|look for)(?: (?:my|in my|through my|in))?(?: notes?)?"
            r"(?: (?:for|about))?\s+(?P<q>\S.*)",
            r"(?:any |do i have any |got any )?notes? (?:about|on|for|with|mentioning)\s+(?P<q>\S.*)",
        ),
        read=lambda m: slots.note_query(m.group("q")),
        verbatim=("query",),
        examples=("find gate", "search my notes for wifi"),
    ),
    # -- memory ------------------------------------------------------------------------------
    Intent(
        "remember", Tier.COMMAND, "remember a fact", rank=20,
        forms=_forms(
            r"(?:remember|don't forget|do not forget|keep in mind|note that|fyi|for the record"
            r"|just so you know|save (?:the fact )?that|remember this)(?: that)?"
            r"(?:\s*[:\-]\s*|\s+)(?P<fact>\S.*)",
        ),
        read=_group("fact"),
        verbatim=("fact",),
        examples=("remember that anna's birthday is june 3", "don't forget i'm vegetarian"),
    ),
    Intent(
        "list_memories", Tier.COMMAND, "say what I know about you", rank=30,
        forms=_forms(
            r"what do you (?:know|remember)(?: about me)?|what have you (?:got|saved|stored) (?:on|about) me"
            r"|what (?:facts |info |information |data |details |stuff )?do you have (?:on|about) me|what(?:'ve| have) i told you(?: about me)?"
            r"|(?:list|show)(?: me)?(?: all)?(?: my| your)? (?:memories|facts)|(?:my |your )?memories"
            r"|what do you know",
        ),
        examples=(
            "what do you know about me", "what have i told you", "what do you remember",
            "show me what you know about me", "what info do you have on me",
        ),
    ),
    Intent(
        "forget", Tier.COMMAND, "forget a fact", rank=45,
        forms=_forms(r"forget(?: about)?(?: that)?\s+(?P<what>\S.*)"),
        read=_group("what"),
        verbatim=("what",),
        examples=("forget my address", "forget about anna's birthday"),
    ),
    Intent(
        "show_help", Tier.COMMAND, "show what I can do", rank=30,
        forms=_forms(
            r"help|\?+|commands|menu|info|what can you do|what do you do|how does this work"
            r"|how do i use this|what are (?:the |your )?commands|what can i (?:say|text|ask)"
            r"|options|help me|what are you|who are you|instructions|how do you work"
            r"|what are you (?:able to|good for|for)(?: do)?|how do i use (?:this|you|it)(?: thing| app| service)?"
            r"|what (?:can|do) you (?:help with|help me with|offer)|what (?:else )?can you do"
            r"|what (?:can|does) (?:this|it|this thing|the bot|this bot) do",
        ),
        examples=("help", "what can you do", "how does this work", "what are the commands"),
    ),
    # -- small talk ------------------------------------------------------------------------
    Intent(
        "greet", Tier.SMALL_TALK, "say hello", reply=GREETING,
        forms=_forms(
            r"(?:hi|hello|hey|hiya|yo|howdy|sup|hey there|good (?:morning|afternoon|evening)"
            r"|morning|evening|heya|hola|greetings|good night|goodnight|good nite|nite|night|nighty night)"
            r"(?: there)?(?: assistant| bot)?"
            r"|how are you(?: doing)?|how's it going|what's up|(?:are )?(?:you|u) there|anyone there"
            r"|what(?:'s| is) your name|what should i call you|who am i talking to"
            r"|you around|hello\?",
        ),
        examples=("hi", "hello there", "good morning", "hey"),
    ),
    Intent(
        "thanks", Tier.SMALL_TALK, "say thanks", reply=THANKS,
        forms=_forms(
            r"(?:thanks|thank you|thanks so much|thank you so much|cheers|much appreciated"
            r"|appreciate it|great thanks|perfect thanks|awesome thanks|ok thanks|brilliant)"
            r"(?: (?:so much|a lot|a bunch|again))?"
            r"(?: (?:that's|that is|it's|you're|ur) (?:great|perfect|awesome|amazing|brilliant"
            r"|helpful|lovely|nice|the best|a star))?",
        ),
        examples=("thanks", "thank you so much", "cheers", "appreciate it"),
    ),
    Intent(
        "acknowledge", Tier.SMALL_TALK, "say OK", reply=ACKNOWLEDGED,
        forms=_forms(
            r"ok|cool|great|nice|perfect|awesome|got it|sounds good|alright|all right|fine|k|good"
            r"|lol|haha|never mind|no worries|np|sure|will do|okay then|ok cool",
        ),
        examples=("ok", "cool", "got it", "sounds good"),
    ),
)  # fmt: skip

BY_NAME: dict[str, Intent] = {intent.name: intent for intent in INTENTS}
