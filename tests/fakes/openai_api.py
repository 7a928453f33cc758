"""A fake OpenAI-compatible chat endpoint, strict like the real servers, for the LLM path's tests.

It plans like a tiny LLM (see `TinyBrain`): "note: x" asks for save_note, "remind me to ..."
for set_reminder, "add x to my list" for add_todo, "remember ..." for remember; after tool
results it answers with their text; anything else gets "You said: <text>". Tests queue exact
replies (`script`) to make it misbehave: malformed arguments, tool markup written as text,
empty answers, a repeated save_note.

Modes, each refusing what the real server refuses (a refused request is kept in `refused`):
- "openai": api.openai.com. An assistant message with tool_calls not followed by a tool message
  for each id -> 400 with OpenAI's message; a tool message answering nothing -> 400; tool_choice
  without tools -> 400; with `reasoning_model`, `max_tokens` -> 400 (as o-series models do).
- "llamacpp": llama.cpp's / llama-cpp-python's server. Tools are offered to the model only when
  `tool_choice` is sent (a missing one counts as "none"); an assistant message with `content:
  null` -> 500; only `max_tokens` is read; the answer's text comes HTML-escaped (`&#34;`).

The fact-extraction and summary calls are recognised by their system prompt: extraction answers
`facts` (after waiting for `extraction_gate`, when set, so a test can make it hang).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import BackgroundServer

Mode = Literal["openai", "llamacpp"]
MODES: tuple[Mode, ...] = ("openai", "llamacpp")

ORPHAN_CALL_MESSAGE = (
    "An assistant message with 'tool_calls' must be followed by tool messages responding to "
    "each 'tool_call_id'. The following tool_call_ids did not have response messages: {ids}"
)
ORPHAN_TOOL_MESSAGE = (
    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message "
    "with 'tool_calls'."
)
MAX_TOKENS_MESSAGE = (
    "Unsupported parameter: 'max_tokens' is not supported with this model. "
    "Use 'max_completion_tokens' instead."
)
TOOL_CHOICE_MESSAGE = (
    "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified."
)
LLAMA_NULL_CONTENT_MESSAGE = "Expected 'content' to be a string or an array"


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def text_reply(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def call_reply(name: str, arguments: str | dict[str, Any], call_id: str = "") -> dict[str, Any]:
    """An assistant message asking for one tool; `arguments` as a string may be malformed."""
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": raw}}
    return {"role": "assistant", "content": None, "tool_calls": [call]}


def _html_escape(text: str) -> str:
    """As llama.cpp's server has been seen to do: quotes as numeric entities."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&#34;").replace("'", "&#39;")


def _check_openai(body: dict[str, Any], reasoning_model: bool) -> None:
    if "max_tokens" in body and reasoning_model:
        raise Refused(400, MAX_TOKENS_MESSAGE)
    if "tool_choice" in body and not body.get("tools"):
        raise Refused(400, TOOL_CHOICE_MESSAGE)
    messages = body["messages"]
    for index, message in enumerate(messages):
        if message["role"] == "assistant" and message.get("tool_calls"):
            wanted = [call["id"] for call in message["tool_calls"]]
            answered = set()
            for after in messages[index + 1 :]:
                if after["role"] != "tool":
                    break
                answered.add(after.get("tool_call_id"))
            missing = [call_id for call_id in wanted if call_id not in answered]
            if missing:
                raise Refused(400, ORPHAN_CALL_MESSAGE.format(ids=", ".join(missing)))
        if message["role"] == "tool":
            previous = [m for m in messages[:index] if m["role"] != "tool"]
            calls = previous[-1].get("tool_calls") if previous else None
            if not calls or message.get("tool_call_id") not in {c["id"] for c in calls}:
                raise Refused(400, ORPHAN_TOOL_MESSAGE)
        no_content = message["role"] == "assistant" and message.get("content") is None
        if no_content and not message.get("tool_calls"):
            raise Refused(400, "Invalid value for 'content': expected a string, got null.")


def _check_llamacpp(body: dict[str, Any]) -> None:
    for message in body["messages"]:
        if message["role"] == "assistant" and message.get("content") is None:
            raise Refused(500, LLAMA_NULL_CONTENT_MESSAGE)


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message["role"] == "user":
            return str(message.get("content") or "")
    return ""


_REMIND = re.compile(
    r"^remind me to (?P<what>.+?) (?P<when>(?:tomorrow|today|in|at|on)\b.*)$", re.I
)
_ADD = re.compile(r"^add (?P<item>.+?) to my (?:list|todos?)$", re.I)
_REMEMBER = re.compile(r"^remember (?:that )?(?P<fact>.+)$", re.I)


def _knowledge_passage(messages: list[dict[str, Any]]) -> str:
    """The first knowledge-base passage the prompt carries ("[source] text" lines)."""
    for message in messages:
        content = str(message.get("content") or "") if message["role"] == "system" else ""
        if "knowledge base" in content:
            for line in content.splitlines():
                if line.startswith("[") and "] " in line:
                    return line.split("] ", 1)[1]
    return ""


class TinyBrain:
    """What a small tool-using model does with a text (when tools are offered at all)."""

    def __call__(
        self, body: dict[str, Any], tools_offered: bool, call_number: int
    ) -> dict[str, Any]:
        messages = body["messages"]
        last = messages[-1]
        if last["role"] == "tool":
            results = []
            for message in reversed(messages):
                if message["role"] != "tool":
                    break
                results.append(str(message.get("content") or ""))
            return text_reply(" ".join(reversed(results)))
        text = _last_user_text(messages).strip()
        call_id = f"call_{call_number}"
        passage = _knowledge_passage(messages)
        if passage and text.endswith("?"):
            return text_reply(f"From your documents: {passage}")
        if tools_offered:
            lowered = text.lower()
            if lowered.startswith("note:"):
                return call_reply("save_note", {"text": text.split(":", 1)[1].strip()}, call_id)
            if match := _REMIND.match(text):
                args = {"what": match["what"], "when": match["when"]}
                return call_reply("set_reminder", args, call_id)
            if match := _ADD.match(text):
                return call_reply("add_todo", {"item": match["item"]}, call_id)
            if match := _REMEMBER.match(text):
                return call_reply("remember", {"fact": match["fact"]}, call_id)
            if lowered in {"notes", "my notes", "what are my notes?", "show my notes"}:
                return call_reply("list_notes", {}, call_id)
            if lowered in {"my list", "what's on my list?", "show my list"}:
                return call_reply("list_todos", {}, call_id)
            if lowered in {"what do you know about me?", "what do you know about me"}:
                return call_reply("list_memories", {}, call_id)
            if lowered.startswith("search my documents for "):
                query = text[len("search my documents for ") :]
                return call_reply("search_documents", {"query": query}, call_id)
        return text_reply(f"You said: {text}")


@dataclass
class FakeOpenAI:
    mode: Mode = "openai"
    delay_seconds: float = 0.0
    delays: list[float] = field(default_factory=list)
    """Per-call delays, used first (call 1 gets delays[0]...); then delay_seconds."""
    script: list[dict[str, Any]] = field(default_factory=list)
    """Exact assistant messages for the next planning calls (then the brain plans)."""
    facts: list[dict[str, str]] = field(default_factory=list)
    """What fact extraction answers."""
    extraction_gate: threading.Event | None = None
    """When set, extraction answers only once this event is set (a hanging extraction)."""
    failure: tuple[int, str] | None = None
    """Answer every planning call with this (status, message), like a server in trouble."""
    reasoning_model: bool = False
    """In "openai" mode: refuse `max_tokens`, as OpenAI's o-series and gpt-5 models do."""
    brain: TinyBrain = field(default_factory=TinyBrain)
    calls: int = 0
    prompts: list[list[dict[str, Any]]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    extractions: int = 0

    def planning_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if _kind(r) == "plan"]

    async def _complete(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        self.calls += 1
        self.requests.append(body)
        self.prompts.append(body["messages"])
        delay = self.delays.pop(0) if self.delays else self.delay_seconds
        waited = 0.0
        while waited < delay and not await request.is_disconnected():
            await asyncio.sleep(0.05)  # a client that gave up frees the server (and the test)
            waited += 0.05
        try:
            if self.mode == "openai":
                _check_openai(body, self.reasoning_model)
            else:
                _check_llamacpp(body)
        except Refused as refusal:
            self.refused.append((refusal.status, refusal.message))
            error = {"message": refusal.message, "type": "invalid_request_error", "code": None}
            return JSONResponse({"error": error}, status_code=refusal.status)
        kind = _kind(body)
        if self.failure is not None and kind == "plan":
            status, text = self.failure
            error = {"message": text, "type": "server_error", "code": status}
            return JSONResponse({"error": error}, status_code=status)
        if kind == "extract":
            self.extractions += 1
            if self.extraction_gate is not None:
                await asyncio.to_thread(self.extraction_gate.wait, 60)
            message = text_reply(json.dumps({"facts": self.facts}))
        elif kind == "summarize":
            message = text_reply("Earlier: " + _last_user_text(body["messages"])[-200:])
        else:
            tools_offered = bool(body.get("tools")) and (
                self.mode == "openai" or body.get("tool_choice") not in (None, "none")
            )
            if self.script:
                message = dict(self.script.pop(0))
            else:
                message = self.brain(body, tools_offered, self.calls)
        if self.mode == "llamacpp" and message.get("content"):
            message["content"] = _html_escape(str(message["content"]))
        return JSONResponse(
            {
                "id": f"chatcmpl-{self.calls}",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        )

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self._complete, methods=["POST"])])

    def serve(self) -> BackgroundServer:
        return BackgroundServer(self.app())


def _kind(body: dict[str, Any]) -> str:
    system = next((m for m in body["messages"] if m["role"] == "system"), None)
    text = str(system.get("content") or "") if system else ""
    if text.startswith("You pick out durable facts"):
        return "extract"
    if text.startswith("You maintain the running summary"):
        return "summarize"
    return "plan"
