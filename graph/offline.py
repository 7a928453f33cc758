"""The offline planner: a deterministic chat model that needs no API key.

It reads the latest text, makes the same tool calls an LLM would for the common SMS intents, and
words the reply from the tool results. The graph cannot tell it from an LLM.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable

from graph import prompts

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
LOOKUP_TOOLS = ("recall", "search_documents")
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
