"""The offline planner: a deterministic chat model that needs no API key.

It reads the latest text, makes the same tool calls an LLM would for the common SMS intents, and
words the reply from the tool results. The graph cannot tell it from an LLM.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable

from graph import prompts
from tools.timeparse import split_reminder

ToolCallArgs = dict[str, Any]


@dataclass(frozen=True)
class Intent:
    """A phrasing the offline planner understands and what it does about it."""

    pattern: re.Pattern[str]
    tool: str | None = None
    """The tool to call; None means answer `reply` directly."""
    args: Callable[[re.Match[str]], ToolCallArgs] | None = None
    reply: str = ""


def _intent(regex: str, **kwargs: Any) -> Intent:
    return Intent(pattern=re.compile(regex, re.IGNORECASE | re.DOTALL), **kwargs)


_POLITE = r"(?:(?:please|pls|plz|can you|could you)\s+)?"

_LIST = r"(?:my|the)\s+(?:todo |to-do |to do |shopping |grocery )?list"
_HOUR = r"\d{1,2}(?::\d{2})?\s*(?:am|pm)?"
_URGENT = re.compile(r"\b(?:urgent(?:ly)?|important)\b[\s:,]*", re.IGNORECASE)


def _reminder(match: re.Match[str]) -> ToolCallArgs:
    """what/when of "remind me to X <when>" (either order); "urgent" anywhere marks it so."""
    groups = match.groupdict()
    text = groups.get("rest") or ""
    urgent = bool(_URGENT.search(match.group(0)))
    if groups.get("when"):
        what, when = groups["what"], groups["when"]
    else:
        what, when = split_reminder(_URGENT.sub("", text).strip())
    what = re.sub(r"^(?:to|about|that)\s+", "", _URGENT.sub("", what).strip(" ,"), flags=re.I)
    args: ToolCallArgs = {"what": what, "when": _URGENT.sub("", when).strip(" ,")}
    return {**args, "urgent": True} if urgent else args


ASSISTANT_INTENTS: tuple[Intent, ...] = (
    # Before "cancel <reminder>": "cancel my account" is not a reminder.
    _intent(
        rf"^{_POLITE}(?:delete|remove|close|cancel|erase)(?: my| the)? account"
        r"(?: and (?:all )?(?:my )?data)?$",
        tool="delete_account",
    ),
    # Reminders.
    _intent(
        rf"^{_POLITE}(?:urgent(?:ly)?[\s:,]+)?(?:set (?:a |an )?(?:urgent )?reminder|remind me)"
        r"(?:\s+(?:urgently|urgent))?[\s:,]+(?P<rest>\S.*)$",
        tool="set_reminder",
        args=_reminder,
    ),
    _intent(
        r"^(?P<when>(?:every|each|daily|weekdays|on|at|in|tomorrow|today|tonight|next)\b.*?)"
        r"[\s,]+remind me (?:to |about |that )?(?P<what>\S.*)$",
        tool="set_reminder",
        args=_reminder,
    ),
    _intent(
        rf"^{_POLITE}(?:what are my reminders|what reminders do i have|(?:list|show|see)(?: me)?"
        r"(?: all)?(?: my)? reminders|(?:my |all )?reminders)$",
        tool="list_reminders",
    ),
    _intent(
        rf"^{_POLITE}cancel\s+(?:the\s+|my\s+)?(?:reminder\s+(?:about\s+|to\s+|for\s+)?)?"
        r"(?P<which>\S.*?)(?:\s+one)?(?:\s+reminders?)?$",
        tool="cancel_reminder",
        args=lambda m: {"which": m.group("which").strip()},
    ),
    _intent(
        rf"^{_POLITE}(?:delete|remove|stop)\s+(?:the\s+|my\s+)?(?:reminder\s+(?:about\s+|to\s+"
        r"|for\s+)?(?P<which>\S.*)|(?P<which2>\S.*?)\s+(?:one|reminder))$",
        tool="cancel_reminder",
        args=lambda m: {"which": (m.group("which") or m.group("which2")).strip()},
    ),
    # Todos.
    _intent(
        rf"^{_POLITE}(?:add|put)\s+(?P<item>\S.*?)\s+(?:to|on(?:to)?)\s+{_LIST}$",
        tool="add_todo",
        args=lambda m: {"item": m.group("item").strip()},
    ),
    _intent(
        rf"^{_POLITE}(?:(?:what'?s|what is|whats) on {_LIST}|(?:show|see|read|check)(?: me)? "
        rf"{_LIST}|(?:my )?(?:todo|to-do|shopping) list|my list|list|(?:my )?todos)$",
        tool="list_todos",
    ),
    _intent(
        rf"^{_POLITE}(?:clear|remove|delete)(?: all)?(?: the)? (?:done|completed|finished|ticked)"
        r"(?: items| ones| todos| things)?$",
        tool="clear_done_todos",
    ),
    _intent(
        r"^(?:done|did|finished|bought|got|tick off|check off|cross off)(?: with)?"
        r"\s+(?P<item>\S.*)$",
        tool="complete_todo",
        args=lambda m: {"item": re.sub(rf"\s+(?:from|off) {_LIST}$", "", m.group("item")).strip()},
    ),
    # Settings, time.
    _intent(
        rf"^{_POLITE}(?:(?:set |change )?(?:my )?time ?zone(?: to| is|:)?|i'?m (?:now )?in"
        r"|i am (?:now )?in|i moved to|i'?m (?:now )?(?:living|staying) in)\s+(?P<place>\S.*?)"
        r"(?: now| these days)?$",
        tool="set_timezone",
        args=lambda m: {"place": m.group("place").strip()},
    ),
    _intent(
        rf"^{_POLITE}(?:call me|my name is|my name's|i'?m called)\s+(?P<name>\S.*)$",
        tool="set_name",
        args=lambda m: {"name": m.group("name").strip()},
    ),
    _intent(
        rf"^{_POLITE}(?:set )?(?:my )?quiet hours?(?: to| are| from|:)?\s+(?P<start>{_HOUR})\s*"
        rf"(?:-|–|to|until|till)\s*(?P<end>{_HOUR})$",
        tool="set_quiet_hours",
        args=lambda m: {"start": m.group("start").strip(), "end": m.group("end").strip()},
    ),
    _intent(
        rf"^{_POLITE}(?:(?:turn )?quiet hours? off|no quiet hours)$",
        tool="set_quiet_hours",
        args=lambda m: {"start": "0", "end": "0"},
    ),
    _intent(
        r"^(?:whoami|who am i|my (?:settings|account|profile)|(?:show )?(?:my )?settings)$",
        tool="whoami",
    ),
    _intent(
        r"^(?:what(?:'s| is)?(?: the)? time(?: is it)?(?: now)?|time|what time is it now|"
        r"current time) in\s+(?P<place>\S.*)$",
        tool="time_in",
        args=lambda m: {"place": m.group("place").strip()},
    ),
    # Notes and memory, in bulk or by reference (these ask to confirm where they destroy).
    _intent(
        rf"^{_POLITE}(?:delete|remove|erase)(?: that| this| the last)(?: note)?$",
        tool="delete_that_note",
    ),
    _intent(
        rf"^{_POLITE}(?:delete|remove|erase|clear|wipe)(?: all)?(?: of)?(?: my| the)? notes$",
        tool="delete_all_notes",
    ),
    _intent(
        rf"^{_POLITE}forget (?:everything|all|it all)(?: about me| you know(?: about me)?)?$",
        tool="forget_everything",
    ),
)

INTENTS: tuple[Intent, ...] = (
    _intent(r"^(?:help|\?+|commands|menu|info|what can you do)$", tool="show_help"),
    _intent(
        rf"^{_POLITE}(?:note|save(?: a)? note|add(?: a)? note|new note|jot down|write down)"
        r"(?:\s*[:\-]\s*|\s+)(?P<text>\S.*)$",
        tool="save_note",
        args=lambda m: {"text": m.group("text").strip()},
    ),
    _intent(
        rf"^{_POLITE}(?:(?:list|show|see|read|get)(?: me)?(?: all)?(?: of)?(?: my)? notes"
        r"|(?:my |all )?notes|what are my notes)$",
        tool="list_notes",
    ),
    _intent(
        rf"^{_POLITE}(?:delete|remove|erase|drop)(?: my)? note\s*(?:#|number |no\.? )?(?P<n>\d+)$",
        tool="delete_note",
        args=lambda m: {"number": int(m.group("n"))},
    ),
    _intent(
        rf"^{_POLITE}(?:find|search|look up|lookup)(?: (?:my|in my|through my))?(?: notes?)?"
        r"(?: (?:for|about))?\s+(?P<q>\S.*)$",
        tool="find_notes",
        args=lambda m: {"query": m.group("q").strip()},
    ),
    _intent(
        r"^(?:notes? (?:about|on|for|with))\s+(?P<q>\S.*)$",
        tool="find_notes",
        args=lambda m: {"query": m.group("q").strip()},
    ),
    _intent(
        rf"^{_POLITE}(?:remember|don'?t forget|do not forget|keep in mind)(?: that)?"
        r"(?:\s*[:\-]\s*|\s+)(?P<fact>\S.*)$",
        tool="remember",
        args=lambda m: {"fact": m.group("fact").strip()},
    ),
    _intent(
        r"^(?:what do you (?:know|remember)(?: about me)?"
        r"|what have you (?:got|saved) (?:on|about) me"
        r"|(?:list|show)(?: me)?(?: all)?(?: my| your)? memories|(?:my |your )?memories)$",
        tool="list_memories",
    ),
    *ASSISTANT_INTENTS,
    _intent(
        rf"^{_POLITE}forget(?: about)?(?P<what>\s+\S.*)$",
        tool="forget",
        args=lambda m: {"what": m.group("what").strip()},
    ),
    _intent(
        r"^(?:hi|hello|hey|hiya|yo|howdy|good (?:morning|afternoon|evening))(?: there)?$",
        reply=prompts.OFFLINE_GREETING,
    ),
    _intent(
        r"^(?:thanks|thank you|thx|ty|cheers)(?: (?:so much|a lot))?$", reply=prompts.OFFLINE_THANKS
    ),
)

# Emoji and punctuation around a command carry no meaning; inside a note they are the user's words.
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d"
_LEADING = re.compile(f"^[\\s.!?,;{_EMOJI}]+")
_TRAILING = re.compile(f"[\\s.!?,;{_EMOJI}]+$")
_TRAILING_POLITE = re.compile(r"\s+(?:please|pls|plz|thanks|thx)$", re.IGNORECASE)
_QUESTION_WORD = re.compile(
    r"^(?:what|what's|whats|when|when's|whens|where|where's|wheres|who|who's|whose|which|how"
    r"|why|is|are|do|does|did|can|could|will|would|should)\b\s*\S",
    re.IGNORECASE,
)
LOOKUP_TOOLS = ("recall", "search_notes", "search_documents")
"""Asked when a question matches no intent: what the user told us, and their documents (the
reply quotes the best passage and names its file). Each returns an artifact {"found": n}, so
an empty lookup still gets the honest offline reply."""


def looks_like_question(text: str) -> bool:
    text = text.strip()
    return text.endswith("?") or bool(_QUESTION_WORD.match(normalise_command(text)))


def normalise_command(text: str) -> str:
    """The text with surrounding emoji, punctuation and extra spaces removed (case kept)."""
    command = _TRAILING.sub("", _LEADING.sub("", " ".join(text.split())))
    # "please" may also trail: "list my notes please".
    return _TRAILING.sub("", _TRAILING_POLITE.sub("", command))


def understand(text: str) -> AIMessage:
    """The planner's answer to a new text: a tool call, or a direct reply."""
    command = normalise_command(text)
    for intent in INTENTS:
        match = intent.pattern.match(command)
        if match is None:
            continue
        if intent.tool is None:
            return AIMessage(content=intent.reply)
        args = intent.args(match) if intent.args else {}
        call_id = f"call_{uuid.uuid4().hex[:16]}"
        return AIMessage(
            content="", tool_calls=[{"name": intent.tool, "args": args, "id": call_id}]
        )
    if command and looks_like_question(text):
        calls = [
            {"name": name, "args": {"query": command}, "id": f"call_{uuid.uuid4().hex[:16]}"}
            for name in LOOKUP_TOOLS
        ]
        return AIMessage(content="", tool_calls=calls)
    return AIMessage(content=prompts.OFFLINE_UNRECOGNISED)


def _found_nothing(message: ToolMessage) -> bool:
    artifact = message.artifact
    return isinstance(artifact, dict) and artifact.get("found") == 0


def word_results(results: Sequence[ToolMessage]) -> AIMessage:
    """The final reply once tools have run: their results, in order. Lookups that found
    nothing are left out; if that is all there was, the honest offline reply explains."""
    useful = [message for message in results if not _found_nothing(message)]
    if results and not useful:
        return AIMessage(content=prompts.OFFLINE_NOT_FOUND)
    text = "\n".join(str(message.content).strip() for message in useful if message.content)
    return AIMessage(content=text or prompts.EMPTY_REPLY)


def respond(messages: Sequence[BaseMessage]) -> AIMessage:
    if not messages:
        return AIMessage(content=prompts.OFFLINE_UNRECOGNISED)
    if isinstance(messages[-1], ToolMessage):
        trailing: list[ToolMessage] = []
        for message in reversed(messages):
            if not isinstance(message, ToolMessage):
                break
            trailing.append(message)
        return word_results(list(reversed(trailing)))
    last_human = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
    if last_human is None:
        return AIMessage(content=prompts.OFFLINE_UNRECOGNISED)
    return understand(last_human.text)


class OfflinePlanner(BaseChatModel):
    """Deterministic planner for running without an LLM (and for fast, offline tests)."""

    generative: ClassVar[bool] = False
    """It words replies from tool results only (see graph.model.Planner)."""
    planner_label: ClassVar[str] = "offline"

    @property
    def _llm_type(self) -> str:
        return "offline-planner"

    def bind_tools(
        self, tools: Sequence[Any], **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        # The intents name the registry's tools directly; binding changes nothing.
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=respond(messages))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop)
