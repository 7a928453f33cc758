"""A cap on the LLM calls one process makes at once, apart from how many turns it runs.

Turns mostly wait: on the model, on Twilio, on the database. So a worker runs many at once
(TURN_CONCURRENCY), and only the calls to the model provider are held to LLM_CONCURRENCY, which
is what provider rate limits are about. A turn whose call waits for a slot still holds its
conversation, so texts of one conversation stay in order.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from pydantic import PrivateAttr


class ConcurrencyLimitedChatModel(BaseChatModel):
    """Generations of the model `factory` builds (on first use, so importing an LLM client
    costs nothing at start) wait for one of `limit` slots of the running event loop."""

    factory: Callable[[], BaseChatModel]
    limit: int
    _inner: BaseChatModel | None = PrivateAttr(default=None)
    _slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = PrivateAttr(
        default_factory=weakref.WeakKeyDictionary
    )

    @property
    def inner(self) -> BaseChatModel:
        if self._inner is None:
            self._inner = self.factory()
        return self._inner

    @property
    def _llm_type(self) -> str:
        return self.inner._llm_type

    @property
    def planner_label(self) -> str:
        model = self.inner
        name = getattr(model, "planner_label", None) or getattr(model, "model_name", None)
        return str(name or getattr(model, "model", None) or model._llm_type)

    @property
    def generative(self) -> bool:
        return bool(getattr(self.inner, "generative", True))

    _waiting: int = PrivateAttr(default=0)

    @property
    def waiting(self) -> int:
        """Calls waiting for a slot now (for tests and metrics)."""
        return self._waiting

    def _loop_slots(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.limit)
        return slots

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        # The wrapped model turns the tools into its request options; they are bound to this
        # wrapper so the call still goes through a slot.
        bound = self.inner.bind_tools(tools, **kwargs)
        return self.bind(**getattr(bound, "kwargs", {}))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self.inner._generate(messages, stop=stop, run_manager=run_manager, **kwargs)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        slots = self._loop_slots()
        self._waiting += 1
        try:
            await slots.acquire()
        finally:
            self._waiting -= 1
        try:
            return await self.inner._agenerate(
                messages, stop=stop, run_manager=run_manager, **kwargs
            )
        finally:
            slots.release()


def limited_chat_model(chat_model: BaseChatModel | None, settings: Any) -> BaseChatModel | None:
    """The model a process's turns use, held to `settings.llm_concurrency` calls at once.

    None stays None (the Context then builds the offline planner) when no LLM is configured;
    the offline planner calls nothing, so it is not limited.
    """
    if chat_model is None:
        if not settings.llm_configured:
            return None
        from graph.model import load_chat_model

        return ConcurrencyLimitedChatModel(
            factory=lambda: load_chat_model(settings), limit=settings.llm_concurrency
        )
    if not getattr(chat_model, "generative", True):
        return chat_model
    return ConcurrencyLimitedChatModel(factory=lambda: chat_model, limit=settings.llm_concurrency)
