"""Test helpers that are not fixtures: users, signed posts, turns through the compiled graph."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import httpx
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.runtime import Runtime
from pydantic import Field

from api.signature import sign
from graph.context import Context
from graph.graph import builder
from graph.nodes.plan import recursion_limit
from stores import users
from stores.clock import Clock
from stores.db import Database
from stores.models import User


async def add_user(
    database: Database, clock: Clock, phone: str, name: str = "Ann", timezone: str = "UTC"
) -> User:
    async with database.session() as session:
        return await users.add_user(session, phone=phone, name=name, timezone=timezone, clock=clock)


def new_sid() -> str:
    return "SM" + secrets.token_hex(16)


def twilio_form(
    body: str, from_: str, sid: str | None = None, **extra: str
) -> list[tuple[str, str]]:
    params = [
        ("MessageSid", sid or new_sid()),
        ("SmsSid", sid or new_sid()),
        ("AccountSid", "AC" + "1" * 32),
        ("From", from_),
        ("To", "+15005550006"),
        ("Body", body),
        ("NumMedia", "0"),
    ]
    params = [p for p in params if p[0] not in extra] + list(extra.items())
    return params


async def post_signed(
    client: httpx.AsyncClient,
    params: Sequence[tuple[str, str]],
    *,
    token: str,
    signed_url: str,
    path: str = "/twilio/sms",
    signature: str | None = None,
) -> httpx.Response:
    headers = {"X-Twilio-Signature": signature or sign(signed_url, list(params), token)}
    content = httpx.QueryParams(list(params)).__str__()
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return await client.post(path, content=content, headers=headers)


class ScriptedModel(BaseChatModel):
    """A chat model that answers with the given messages in order (tool calls included)."""

    script: list[AIMessage]
    seen: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.seen.append(list(messages))
        if not self.script:
            raise AssertionError("ScriptedModel ran out of scripted replies")
        return ChatResult(generations=[ChatGeneration(message=self.script.pop(0))])


class BrokenModel(BaseChatModel):
    """A chat model whose every call fails, like an LLM provider outage."""

    @property
    def _llm_type(self) -> str:
        return "broken-fake"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self

    def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
        raise ConnectionError("provider unreachable: sk-secret-should-not-leak")


def tool_call(name: str, **args: Any) -> AIMessage:
    return AIMessage(
        content="", tool_calls=[{"name": name, "args": args, "id": "call_" + secrets.token_hex(6)}]
    )


def runtime(context: Context) -> Runtime[Context]:
    return Runtime(context=context)


async def turn(
    text: str,
    *,
    user_id: int,
    database: Database,
    clock: Clock,
    saver: InMemorySaver | None = None,
    thread: str = "t1",
    max_plan_steps: int = 6,
    **context: Any,
) -> dict[str, Any]:
    """One turn through the real compiled graph with an in-memory checkpointer."""
    compiled = builder.compile(checkpointer=saver or InMemorySaver())
    return await compiled.ainvoke(  # type: ignore[no-any-return]
        {"messages": [HumanMessage(text)]},
        config={
            "configurable": {"thread_id": thread},
            "recursion_limit": recursion_limit(max_plan_steps),
        },
        context=Context(user_id=user_id, database=database, clock=clock, **context),
    )


def system_text(prompt: Sequence[BaseMessage]) -> str:
    """Everything the model was told as system messages (instructions and the turn's context)."""
    return "\n".join(m.text for m in prompt if m.type == "system")
