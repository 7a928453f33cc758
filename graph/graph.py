"""The agent loop as an explicit StateGraph.

load_state -> retrieve_memory -> rag -> plan <-> tools -> persist -> after_reply

The runner compiles it with an interrupt before after_reply (fact extraction, summary folding),
so that work starts only once the reply has been handed over.

`builder` is exported uncompiled so the runner and the tests compile it with their own
checkpointer; `graph` (no checkpointer: LangGraph Studio brings its own) is what langgraph.json
loads. Importing this module needs no environment variable and no network.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from graph.context import Context
from graph.nodes.after_reply import NODE as AFTER_REPLY
from graph.nodes.after_reply import after_reply, route_after_persist
from graph.nodes.load_state import load_state
from graph.nodes.persist import persist
from graph.nodes.plan import plan, route_after_plan
from graph.nodes.rag import rag
from graph.nodes.retrieve_memory import retrieve_memory
from graph.nodes.tools import tools
from graph.state import InputState, State
from tools import TOOLS_BY_NAME

Node = Callable[[State, Runtime[Context]], Awaitable[dict[str, Any]]]


def recorded(name: str, node: Node) -> Any:
    """The node, adding its name to the turn's `path` once it has run (persist logs the path)."""

    async def run(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        return {**await node(state, runtime), "path": [name]}

    run.__name__ = run.__qualname__ = name
    run.__doc__ = node.__doc__
    return run


async def run_tools(state: State, config: RunnableConfig) -> Any:
    """The tools node (LangGraph's ToolNode over the registry, every call answered), recorded
    like the other nodes. Tools that update the state return Commands, and then the answer is a
    list of updates."""
    update = await tools(state, config)
    if isinstance(update, list):
        return [*update, {"path": ["tools"]}]
    return {**update, "path": ["tools"]}


builder = StateGraph(State, input_schema=InputState, context_schema=Context)
builder.add_node("load_state", recorded("load_state", load_state))
builder.add_node("retrieve_memory", recorded("retrieve_memory", retrieve_memory))
builder.add_node("rag", recorded("rag", rag))
builder.add_node("plan", recorded("plan", plan))
builder.add_node("tools", run_tools, metadata={"__tools": list(TOOLS_BY_NAME)})
builder.add_node("persist", persist)  # logs the path of the reply, itself included
builder.add_node(AFTER_REPLY, recorded(AFTER_REPLY, after_reply))

builder.add_edge(START, "load_state")
builder.add_edge("load_state", "retrieve_memory")
builder.add_edge("retrieve_memory", "rag")
builder.add_edge("rag", "plan")
builder.add_conditional_edges("plan", route_after_plan, ["tools", "persist"])
builder.add_edge("tools", "plan")
builder.add_conditional_edges("persist", route_after_persist, [AFTER_REPLY, END])
builder.add_edge(AFTER_REPLY, END)

graph = builder.compile(name="sms-assistant")
