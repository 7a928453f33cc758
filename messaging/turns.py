"""The graph as the runner drives it: a checkpoint per phase of a turn, not per step.

LangGraph's default durability saves a checkpoint after every step (about ten a turn, each with
the whole history). A crashed turn only needs two of them to be answered once and correctly:

* after the tools ran: their side effects (a note saved, a reminder set) must not happen again
  when the turn is re-run, so the turn stops there (`interrupt_after`), which saves the state,
  and goes on at once from that checkpoint;
* at the end: the next turn starts from it (and an approval's question waits in it).

Everything between is re-done on a re-run: loading state, recalling memories and documents,
and the model's call, which are reads. So each phase runs with durability "exit".

Old checkpoints are pruned by the database itself (stores.checkpointer), so a conversation
keeps one checkpoint whatever its length.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langgraph.pregel import Pregel
from langgraph.types import StateSnapshot

import messaging.turn_metrics  # noqa: F401  (registers the callbacks that count turns, tools, tokens)

INTERRUPT = "__interrupt__"  # the key ainvoke reports a pause under (its constant is private)
DEFAULT_RECURSION_LIMIT = 25  # LangGraph's, when the caller sets none
CHECKPOINT_AFTER = ["tools"]
"""Nodes with side effects: a checkpoint is saved as soon as one finishes."""


class PhasedGraph:
    """The compiled graph, run phase by phase; the same `ainvoke`/`aget_state` as LangGraph's."""

    def __init__(self, compiled: Pregel[Any, Any, Any, Any]) -> None:
        self.compiled = compiled

    async def aget_state(self, config: Any) -> StateSnapshot:
        return await self.compiled.aget_state(config)

    async def resume(self, config: Any, *, context: Any) -> Any:
        """Finish a turn an earlier attempt left in its checkpoint. A turn saved right after its
        tools must plan again even when the checkpoint schedules nothing (its pending writes
        may not have reached the database before the process died): the tools' messages are
        there, so planning on from them answers the text without running a tool twice."""
        snapshot = await self.compiled.aget_state(config)
        values = snapshot.values or {}
        if not snapshot.next and _stopped_after_tools(values):
            await self.compiled.aupdate_state(config, None, as_node=CHECKPOINT_AFTER[0])
            snapshot = await self.compiled.aget_state(config)
        if snapshot.next:
            return await self.ainvoke(None, config, context=context)
        return values

    async def ainvoke(self, value: Any, config: Any, *, context: Any) -> Any:
        # The phases run inside one runnable, so callbacks and traces see one run per turn
        # (the turn metrics count root runs: messaging.turn_metrics).
        phases = RunnableLambda(partial(self._phases, context=context), name="turn")
        return await phases.ainvoke(value, config)

    async def _phases(self, value: Any, config: RunnableConfig, *, context: Any) -> Any:
        # The runner's recursion limit bounds the whole turn (plan reads RemainingSteps), but
        # LangGraph counts it per invocation: each phase gets what the earlier ones left.
        # (A resumed invocation counts one step more than a run that starts from an input does:
        # RemainingSteps is `stop - step`, and its first node runs at `step`, not `step + 1`.)
        limit = int(config.get("recursion_limit") or DEFAULT_RECURSION_LIMIT)
        used = 0
        while True:
            resumed = 1 if value is None else 0
            phase_config: Any = {**config, "recursion_limit": max(limit - used - resumed, 1)}
            result, steps = await self._phase(value, phase_config, context)
            used += steps
            if not _stopped_after_tools(result):
                return result
            value = None  # go on from the checkpoint just saved

    async def _phase(self, value: Any, config: RunnableConfig, context: Any) -> tuple[Any, int]:
        """What `ainvoke` returns (state, with `__interrupt__` when paused), and the steps run."""
        latest: Any = None
        interrupts: list[Any] = []
        steps = 0
        async for mode, payload in self.compiled.astream(
            value,
            config,
            context=context,
            stream_mode=["updates", "values"],
            durability="exit",
            interrupt_after=CHECKPOINT_AFTER,
        ):
            if mode == "values":
                latest = payload
            elif isinstance(payload, dict) and INTERRUPT in payload:
                interrupts.extend(payload[INTERRUPT])
            else:
                steps += 1
        if interrupts and isinstance(latest, dict):
            return {**latest, INTERRUPT: interrupts}, steps
        return latest, steps


def _stopped_after_tools(result: Any) -> bool:
    """The graph always plans again after the tools, so a result that ends with a tool's
    message (and no question for the user) is a turn paused at its checkpoint, not finished."""
    if not isinstance(result, dict) or result.get("__interrupt__"):
        return False
    messages = result.get("messages") or []
    return bool(messages) and isinstance(messages[-1], ToolMessage)
