"""The offline planner: a deterministic chat model that needs no API key.

It reads the latest text, makes the same tool calls an LLM would for the common SMS intents, and
words the reply from the tool results. The graph cannot tell it from an LLM.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langgraph.runtime import get_runtime

from graph import prompts
from graph.understanding import (
    BY_NAME,
    CLARIFY,
    LOOKUP,
    conversation,
    read,
    slots,
    strip_decoration,
    wording,
)
from graph.understanding.normalise import lookup_query
from graph.understanding.reader import looks_like_question as _looks_like_question
from stores.embeddings import TextEmbeddings

ToolCallArgs = dict[str, Any]

LOOKUP_TOOLS = ("recall", "search_notes", "search_documents")
"""Asked when a question matches no intent: what the user told us, and their documents (the
reply quotes the best passage and names its file). Each returns an artifact {"found": n}, so
an empty lookup still gets the honest reply."""

_TRAILING_POLITE = re.compile(r"\s+(?:please|pls|plz|thanks|thx)$", re.IGNORECASE)


def looks_like_question(text: str) -> bool:
    return _looks_like_question(text)


def normalise_command(text: str) -> str:
    """The text with surrounding emoji, punctuation and extra spaces removed (case kept)."""
    return strip_decoration(_TRAILING_POLITE.sub("", strip_decoration(text)))


def _call(name: str, args: ToolCallArgs) -> dict[str, Any]:
    return {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:16]}"}


def _tool_message(*calls: dict[str, Any]) -> AIMessage:
    return AIMessage(content="", tool_calls=list(calls))


def turn_embeddings() -> TextEmbeddings | None:
    """The embeddings of the turn being planned (the runtime Context's), for the meaning stage;
    None outside a graph run: exact forms still work, and the fallback says what does."""
    try:
        runtime = get_runtime()
    except RuntimeError:
        return None
    embeddings = getattr(runtime.context, "embeddings", None)
    return embeddings if isinstance(embeddings, TextEmbeddings) else None


def understand(
    text: str,
    history: Sequence[BaseMessage] = (),
    *,
    embeddings: TextEmbeddings | None = None,
) -> AIMessage:
    """The planner's answer to a new text (after `history`): a tool call, or a direct reply."""
    answered = _answer_open_question(text, history)
    if answered is not None:
        return answered
    reading = read(text, embeddings=embeddings)
    row = reading.row
    if row is not None:
        tool = row.tool_name
        if tool is None:
            return AIMessage(content=row.reply or "")
        return _tool_message(_call(tool, reading.slots))
    if reading.intent == LOOKUP:
        query = lookup_query(normalise_command(text))
        return _tool_message(*(_call(name, {"query": query}) for name in LOOKUP_TOOLS))
    continued = _continue_list(text, history) or _offer_reminder(text)
    if continued is not None:
        return continued
    if reading.intent == CLARIFY:
        message = AIMessage(content=wording.clarify(reading.alternatives))
        return conversation.mark(
            message, "clarify", options=list(reading.alternatives), text=normalise_command(text)
        )
    return AIMessage(content=wording.fallback(reading.alternatives))


def _offer_reminder(text: str) -> AIMessage | None:
    """A task and a clear time that matched nothing ("need to pay bills friday 5pm"): offer the
    reminder rather than guess it."""
    args = slots.offered_reminder(normalise_command(text))
    if args is None:
        return None
    question = f"Want a reminder: {args['what']}, {args['when']}? Reply yes or no."
    return conversation.mark(AIMessage(content=question), "offer_reminder", args=args)


def _continue_list(text: str, history: Sequence[BaseMessage]) -> AIMessage | None:
    """ "also bananas" right after adding to the list: the same action again."""
    asked = conversation.open_question([*history, HumanMessage(text)])
    if asked is None or asked.kind != "list_add":
        return None
    item = conversation.continued_item(text)
    return None if item is None else _tool_message(_call("add_todo", {"item": item}))


def _answer_open_question(text: str, history: Sequence[BaseMessage]) -> AIMessage | None:
    asked = conversation.open_question([*history, HumanMessage(text)])
    if asked is None:
        return None
    if asked.kind == "reminder_time":
        if conversation.is_denial(text):
            return AIMessage(content=wording.NO_REMINDER)
        args = conversation.answer_reminder_time(asked.data, text)
        return None if args is None else _tool_message(_call("set_reminder", args))
    if asked.kind == "offer_reminder":
        if conversation.is_denial(text):
            return AIMessage(content=wording.NO_REMINDER)
        if conversation.is_yes(text):
            return _tool_message(_call("set_reminder", dict(asked.data.get("args") or {})))
        return None
    if asked.kind == "which":
        chosen = conversation.answer_which(asked.data, text)
        if chosen is None:
            return None
        return _tool_message(_call(str(asked.data["tool"]), {str(asked.data["slot"]): chosen}))
    if asked.kind == "clarify":
        chosen = conversation.answer_clarify(asked.data, text)
        if chosen is None:
            return None
        row = BY_NAME[chosen]
        if row.read is None:
            name = row.tool_name
            return (
                AIMessage(content=row.reply or "")
                if name is None
                else _tool_message(_call(name, {}))
            )
        said = str(asked.data.get("text") or "")
        slots = row.loose(said) if row.loose and said else None
        if slots is not None and row.tool_name:
            return _tool_message(_call(row.tool_name, slots))
        return AIMessage(content=f"OK: text it like '{wording.USAGE.get(chosen, 'help')}'.")
    return None


def _found_nothing(message: ToolMessage) -> bool:
    artifact = message.artifact
    return isinstance(artifact, dict) and artifact.get("found") == 0


_ASKS_TIME = re.compile(r"AM or|When should|What time|At what time|already passed", re.I)


def _reminder_question(
    calls: Sequence[BaseMessage], results: Sequence[ToolMessage]
) -> dict[str, Any] | None:
    """The set_reminder call whose result asked for its time, if any."""
    asked = {r.tool_call_id: str(r.content) for r in results if _ASKS_TIME.search(str(r.content))}
    for message in calls:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                call_id = call.get("id") or ""
                if call["name"] == "set_reminder" and call_id in asked:
                    return {"args": call["args"], "question": asked[call_id]}
    return None


def _called(calls: Sequence[BaseMessage], name: str) -> bool:
    return any(
        call["name"] == name
        for message in calls
        if isinstance(message, AIMessage)
        for call in message.tool_calls
    )


def _which_one(
    calls: Sequence[BaseMessage], results: Sequence[ToolMessage]
) -> dict[str, Any] | None:
    """A tool that found several matches asked "Which one?": its name and the options, in
    order, so "the first one" or "2" can answer."""
    for result in results:
        text = str(result.content)
        if not text.startswith("Which one?"):
            continue
        tool = next(
            (
                call["name"]
                for message in calls
                if isinstance(message, AIMessage)
                for call in message.tool_calls
                if call.get("id") == result.tool_call_id
            ),
            None,
        )
        if tool == "cancel_reminder":
            options = re.findall(r"^#(\d+) ", text, flags=re.MULTILINE)
            return {"tool": tool, "slot": "which", "options": options}
        if tool in ("complete_todo", "remove_todo"):
            options = [o.strip() for o in text.removeprefix("Which one?").split(";")]
            return {"tool": tool, "slot": "item", "options": [o for o in options if o]}
    return None


def word_results(results: Sequence[ToolMessage]) -> AIMessage:
    """The final reply once tools have run: their results, in order. Lookups that found
    nothing are left out; if that is all there was, the honest offline reply explains."""
    useful = [message for message in results if not _found_nothing(message)]
    if results and not useful:
        return AIMessage(content=prompts.OFFLINE_NOT_FOUND)
    text = "\n".join(str(message.content).strip() for message in useful if message.content)
    return AIMessage(content=text or prompts.EMPTY_REPLY)


def respond(messages: Sequence[BaseMessage], embeddings: TextEmbeddings | None = None) -> AIMessage:
    if not messages:
        return AIMessage(content=prompts.OFFLINE_UNRECOGNISED)
    if isinstance(messages[-1], ToolMessage):
        trailing: list[ToolMessage] = []
        for message in reversed(messages):
            if not isinstance(message, ToolMessage):
                break
            trailing.append(message)
        results = list(reversed(trailing))
        reply = word_results(results)
        calls = messages[-len(results) - 1 : -len(results)]
        asked = _reminder_question(calls, results)
        if asked:
            return conversation.mark(reply, "reminder_time", **asked)
        which = _which_one(calls, results)
        if which:
            return conversation.mark(reply, "which", **which)
        if _called(calls, "add_todo"):
            return conversation.mark(reply, "list_add")
        return reply
    last_human = next((m for m in reversed(messages) if isinstance(m, HumanMessage)), None)
    if last_human is None:
        return AIMessage(content=prompts.OFFLINE_UNRECOGNISED)
    history = messages[:-1] if messages[-1] is last_human else messages
    return understand(last_human.text, history, embeddings=embeddings)


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
        reply = respond(messages, turn_embeddings())
        return ChatResult(generations=[ChatGeneration(message=reply)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        # Embedding a text (and loading the model the first time) is CPU work: off the loop.
        reply = await asyncio.to_thread(respond, messages, turn_embeddings())
        return ChatResult(generations=[ChatGeneration(message=reply)])
