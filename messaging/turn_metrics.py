"""Graph runs, tools and tokens counted through LangChain callbacks (see messaging.metrics).

Apart from the other metrics because importing LangChain takes a second, which the web server's
start and the CLI need not pay; the message pipeline imports this module (messaging.turns).
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult
from langchain_core.tracers.context import register_configure_hook

from messaging.metrics import INVALID_TOOL_CALLS, LLM_TOKENS, TOOL_CALLS, TURN_LATENCY, _label

NOT_A_TURN = "not-a-turn"
"""Tag of root graph runs that are no turn of their own (a turn's after-reply work)."""

MAX_OPEN_RUNS = 10_000


class TurnMetricsHandler(BaseCallbackHandler):
    """Counts graph runs (turn latency), tool calls and LLM tokens from LangChain's callbacks.

    A root chain run is a graph invocation: the runner, `chat` and the worker all run the graph
    as the outermost runnable (models and tools run inside it, never as roots).
    """

    run_inline = True  # counter updates are cheap: no thread hop per callback

    def __init__(self) -> None:
        self._turns: dict[UUID, float] = {}
        self._tools: dict[UUID, str] = {}

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        if parent_run_id is None and NOT_A_TURN not in (kwargs.get("tags") or ()):
            if len(self._turns) > MAX_OPEN_RUNS:  # runs that never ended (killed tasks)
                self._turns.clear()
            self._turns[run_id] = time.perf_counter()

    def on_chain_end(
        self, outputs: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        started = self._turns.pop(run_id, None)
        if started is not None:
            outcome = outputs.get("outcome") if isinstance(outputs, dict) else None
            TURN_LATENCY.labels(outcome=_label(str(outcome or "ok"))).observe(
                time.perf_counter() - started
            )

    def on_chain_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        started = self._turns.pop(run_id, None)
        if started is not None:
            TURN_LATENCY.labels(outcome="error").observe(time.perf_counter() - started)

    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        name = kwargs.get("name") or (serialized or {}).get("name") or "unknown"
        if len(self._tools) > MAX_OPEN_RUNS:
            self._tools.clear()
        self._tools[run_id] = str(name)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        name = self._tools.pop(run_id, None)
        if name is not None:
            # ToolNode turns invalid arguments into an error ToolMessage rather than raising.
            failed = getattr(output, "status", None) == "error"
            TOOL_CALLS.labels(tool=_label(name), outcome="error" if failed else "ok").inc()

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        name = self._tools.pop(run_id, None)
        if name is not None:
            TOOL_CALLS.labels(tool=_label(name), outcome="error").inc()

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if name == "invalid_tool_call" and isinstance(data, dict):
            INVALID_TOOL_CALLS.labels(
                tool=_label(str(data.get("tool") or "?")), reason=_label(str(data.get("reason")))
            ).inc()

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        for input_tokens, output_tokens, model in _token_usage(response):
            if input_tokens:
                LLM_TOKENS.labels(model=_label(model), kind="input").inc(input_tokens)
            if output_tokens:
                LLM_TOKENS.labels(model=_label(model), kind="output").inc(output_tokens)


def _token_usage(response: LLMResult) -> list[tuple[int, int, str]]:
    """(input, output, model) per generation, from usage_metadata (what LangChain normalises)."""
    llm_output = response.llm_output or {}
    default_model = str(llm_output.get("model_name") or llm_output.get("model") or "unknown")
    usages = []
    for generations in response.generations:
        for generation in generations:
            message = getattr(generation, "message", None)
            usage = getattr(message, "usage_metadata", None)
            if not usage:
                continue
            metadata = getattr(message, "response_metadata", None) or {}
            model = str(metadata.get("model_name") or default_model)
            usages.append(
                (int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0), model)
            )
    return usages


HANDLER = TurnMetricsHandler()
_metrics_handler: ContextVar[BaseCallbackHandler | None] = ContextVar(
    "sms_assistant_metrics_handler", default=HANDLER
)
# LangChain adds the handler of every registered hook to each run it configures, so all graph
# runs in this process report here without the runner threading callbacks through its config.
register_configure_hook(_metrics_handler, inheritable=True)
