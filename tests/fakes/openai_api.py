"""A fake OpenAI-compatible chat endpoint with a configurable delay, for slow-LLM and
crash tests that run the real ChatOpenAI (in this process or in a server subprocess).

It plans like a tiny LLM: for a text starting "note:" it first asks for the save_note tool,
then answers with the tool's result; anything else gets "You said: <text>".
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import BackgroundServer


@dataclass
class FakeOpenAI:
    delay_seconds: float = 0.0
    delays: list[float] = field(default_factory=list)
    """Per-call delays, used first (call 1 gets delays[0]...); then delay_seconds."""
    calls: int = 0
    prompts: list[list[dict]] = field(default_factory=list)

    async def _complete(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        self.calls += 1
        self.prompts.append(body["messages"])
        delay = self.delays.pop(0) if self.delays else self.delay_seconds
        if delay:
            await asyncio.sleep(delay)
        last = body["messages"][-1]
        if last["role"] == "tool":
            message = {"role": "assistant", "content": last["content"]}
        else:
            text = str(last.get("content") or "")
            if text.lower().startswith("note:"):
                arguments = json.dumps({"text": text.split(":", 1)[1].strip()})
                call = {
                    "id": f"call_{self.calls}",
                    "type": "function",
                    "function": {"name": "save_note", "arguments": arguments},
                }
                message = {"role": "assistant", "content": None, "tool_calls": [call]}
            else:
                message = {"role": "assistant", "content": f"You said: {text}"}
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
